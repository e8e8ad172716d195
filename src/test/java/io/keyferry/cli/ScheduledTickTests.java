package io.keyferry.cli;

import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Map;

import io.keyferry.report.Json;
import io.keyferry.testsupport.JsonDocument;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The line a tick of {@code keyferry schedule} prints: camelCase fields, numbers as
 * numbers, timestamps in ISO-8601 with their offset and seconds.
 */
class ScheduledTickTests {

	private static final ZonedDateTime TICK = ZonedDateTime.of(2026, 11, 30, 2, 0, 0, 0, ZoneId.of("Europe/Berlin"));

	private static final OffsetDateTime NOW = OffsetDateTime.of(2026, 11, 30, 1, 0, 3, 123_456_789, ZoneOffset.UTC);

	@Test
	void aFailedTickBeforeAnyExecutionHasItsErrorHintAndExitCode() {
		ScheduledTick tick = new ScheduledTick(TICK, ScheduledTick.FAILED, ExitCode.USAGE, null,
				"cannot connect to target redis://t:6379/0: connection refused", "check that Redis is running", 3);

		Map<String, Object> line = JsonDocument.object(Json.write(tick.toMap(NOW)));

		assertThat(line).containsExactly(Map.entry("tick", "2026-11-30T02:00:00+01:00"),
				Map.entry("time", "2026-11-30T01:00:03.123Z"), Map.entry("status", "failed"), Map.entry("exitCode", 2L),
				Map.entry("error", "cannot connect to target redis://t:6379/0: connection refused"),
				Map.entry("hint", "check that Redis is running"), Map.entry("consecutiveFailures", 3L));
		assertThat(tick.toText()).containsExactly("tick 2026-11-30T02:00:00+01:00: failed (3 failed in a row)",
				"error: cannot connect to target redis://t:6379/0: connection refused",
				"hint: check that Redis is running");
	}

	@Test
	void aSkippedTickSaysWhy() {
		Map<String, Object> line = JsonDocument.object(Json.write(ScheduledTick.skipped(TICK, 0).toMap(NOW)));

		assertThat(line).containsExactly(Map.entry("tick", "2026-11-30T02:00:00+01:00"),
				Map.entry("time", "2026-11-30T01:00:03.123Z"), Map.entry("status", "skipped"),
				Map.entry("reason", "the previous tick's copy was still going"));
	}

}
