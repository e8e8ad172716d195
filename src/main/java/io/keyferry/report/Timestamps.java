package io.keyferry.report;

import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.TemporalAccessor;
import java.util.Locale;

/**
 * How keyferry prints points in time: ISO-8601 with the offset from UTC, with
 * milliseconds in JSON ({@code 2026-11-30T16:45:12.345Z}, {@code …+01:00}) and to the
 * second in text. The job repository stores local times (Spring Batch's
 * {@link LocalDateTime}) of the process that wrote them; they are read in this JVM's time
 * zone. Stateless.
 */
public final class Timestamps {

	private static final DateTimeFormatter JSON = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
			Locale.ROOT);

	private static final DateTimeFormatter TEXT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX", Locale.ROOT);

	private Timestamps() {
	}

	/**
	 * A repository time for JSON.
	 * @param time the local time, or {@code null}
	 * @return e.g. {@code 2026-11-30T16:45:12.345Z}, or {@code null}
	 */
	public static String json(LocalDateTime time) {
		return (time != null) ? JSON.format(withOffset(time)) : null;
	}

	/**
	 * A time with its zone or offset for JSON.
	 * @param time e.g. a {@link java.time.ZonedDateTime}
	 * @return e.g. {@code 2026-11-30T16:45:12.345+01:00}
	 */
	public static String json(TemporalAccessor time) {
		return JSON.format(time);
	}

	/**
	 * A repository time for text output.
	 * @param time the local time, or {@code null}
	 * @return e.g. {@code 2026-11-30T16:45:12Z}, or {@code -}
	 */
	public static String text(LocalDateTime time) {
		return (time != null) ? TEXT.format(withOffset(time)) : "-";
	}

	/**
	 * The time now, for JSON.
	 * @return e.g. {@code 2026-11-30T16:45:12.345Z}
	 */
	public static String now() {
		return JSON.format(OffsetDateTime.now());
	}

	private static OffsetDateTime withOffset(LocalDateTime time) {
		return time.atZone(ZoneId.systemDefault()).toOffsetDateTime();
	}

}
