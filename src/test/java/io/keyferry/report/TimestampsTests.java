package io.keyferry.report;

import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link Timestamps}: ISO-8601 with the offset from UTC, milliseconds in JSON.
 */
class TimestampsTests {

	@Test
	void jsonHasMillisecondsAndZForUtc() {
		ZonedDateTime time = ZonedDateTime.of(2026, 11, 30, 16, 45, 12, 345_678_901, ZoneOffset.UTC);

		assertThat(Timestamps.json(time)).isEqualTo("2026-11-30T16:45:12.345Z");
	}

	@Test
	void jsonHasTheOffsetOfOtherZones() {
		ZonedDateTime time = ZonedDateTime.of(2026, 11, 30, 17, 45, 12, 0, ZoneId.of("Europe/Paris"));

		assertThat(Timestamps.json(time)).isEqualTo("2026-11-30T17:45:12.000+01:00");
	}

	@Test
	void repositoryTimesAreReadInThisJvmsZoneAndParseBackToTheSameInstant() {
		LocalDateTime stored = LocalDateTime.of(2026, 7, 1, 9, 30, 5, 7_000_000);
		OffsetDateTime expected = stored.atZone(ZoneId.systemDefault()).toOffsetDateTime();

		assertThat(OffsetDateTime.parse(Timestamps.json(stored))).isEqualTo(expected);
		assertThat(OffsetDateTime.parse(Timestamps.text(stored))).isEqualTo(expected.withNano(0));
		assertThat(Timestamps.text(stored)).doesNotContain(".");
	}

	@Test
	void missingTimesAreNullInJsonAndADashInText() {
		assertThat(Timestamps.json((LocalDateTime) null)).isNull();
		assertThat(Timestamps.text(null)).isEqualTo("-");
	}

}
