package io.keyferry.cli;

import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.keyferry.report.RunSummary;

/**
 * What one tick of {@code keyferry schedule} did, and the two ways it is reported: one
 * JSON line on stdout for log collectors and a human-readable line (plus the error and
 * hint) on stderr. Immutable.
 *
 * @param tick the cron tick
 * @param status {@code completed}, {@code failed}, {@code stopped} or {@code skipped}
 * @param exitCode what {@code keyferry copy} would have exited with (not shown when
 * skipped)
 * @param summary the execution the tick ran, {@code null} when it failed before one
 * started or was skipped
 * @param error what went wrong, {@code null} unless failed or stopped
 * @param hint what to do about it, {@code null} unless failed or stopped
 * @param consecutiveFailures failed ticks in a row, this one included
 * @param verify the verify run after the copy ({@code verify: true} in the config),
 * {@code null} when none ran
 */
record ScheduledTick(ZonedDateTime tick, String status, int exitCode, RunSummary summary, String error, String hint,
		int consecutiveFailures, RunSummary verify) {

	ScheduledTick(ZonedDateTime tick, String status, int exitCode, RunSummary summary, String error, String hint,
			int consecutiveFailures) {
		this(tick, status, exitCode, summary, error, hint, consecutiveFailures, null);
	}

	static final String COMPLETED = "completed";

	static final String FAILED = "failed";

	static final String STOPPED = "stopped";

	static final String SKIPPED = "skipped";

	/** ISO-8601 with the offset, seconds always shown. */
	private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ISO_OFFSET_DATE_TIME;

	/**
	 * A tick that came while the previous one's copy was still going.
	 * @param tick the tick
	 * @param consecutiveFailures failed ticks in a row so far
	 * @return the skipped tick
	 */
	static ScheduledTick skipped(ZonedDateTime tick, int consecutiveFailures) {
		return new ScheduledTick(tick, SKIPPED, ExitCode.OK, null, "the previous tick's copy was still going", null,
				consecutiveFailures);
	}

	boolean isFailed() {
		return FAILED.equals(this.status);
	}

	/**
	 * The JSON line's fields: the tick, its status, error and hint, then the execution's
	 * summary (run and execution numbers, counts, timing).
	 * @param now when the line is printed
	 * @return ordered fields
	 */
	Map<String, Object> toMap(OffsetDateTime now) {
		Map<String, Object> map = new LinkedHashMap<>();
		map.put("tick", timestamp(this.tick.toOffsetDateTime()));
		map.put("time", timestamp(now.truncatedTo(ChronoUnit.MILLIS)));
		map.put("status", this.status);
		if (SKIPPED.equals(this.status)) {
			map.put("reason", this.error);
			return map;
		}
		map.put("exitCode", this.exitCode);
		if (this.error != null) {
			map.put("error", this.error);
			map.put("hint", this.hint);
		}
		map.put("consecutiveFailures", this.consecutiveFailures);
		if (this.summary != null) {
			Map<String, Object> run = this.summary.toMap();
			// the execution's own status is the tick's, in the tick's words
			run.remove("status");
			map.putAll(run);
		}
		if (this.verify != null) {
			map.put("verify", this.verify.toMap());
		}
		return map;
	}

	/**
	 * The lines for stderr: what the tick did, then {@code error:} and {@code hint:}
	 * lines when it failed or was stopped.
	 * @return the lines
	 */
	List<String> toText() {
		String when = "tick " + timestamp(this.tick.toOffsetDateTime()) + ": ";
		if (SKIPPED.equals(this.status)) {
			return List.of(when + "skipped, " + this.error);
		}
		StringBuilder line = new StringBuilder(when).append(this.status);
		if (this.summary != null) {
			line.append(String.format(Locale.ROOT, " (run #%d, execution %d): read %s, written %s, skipped %s",
					this.summary.run(), this.summary.executionId(), RunSummary.number(this.summary.counts().read()),
					RunSummary.number(this.summary.counts().written()),
					RunSummary.number(this.summary.counts().skippedTotal())));
		}
		if (this.verify != null) {
			line.append(String.format(Locale.ROOT, "; verify (run #%d, execution %d): %s, checked %s, %s",
					this.verify.run(), this.verify.executionId(), this.verify.status().name().toLowerCase(Locale.ROOT),
					RunSummary.number(this.verify.verify().checked()),
					(this.verify.verify().total() == 0) ? "no differences"
							: RunSummary.number(this.verify.verify().total()) + " difference"
									+ ((this.verify.verify().total() == 1) ? "" : "s")));
		}
		if (isFailed()) {
			line.append(" (").append(this.consecutiveFailures).append(" failed in a row)");
		}
		if (this.error == null) {
			return List.of(line.toString());
		}
		return List.of(line.toString(), (isFailed() ? "error: " : "stopped: ") + this.error, "hint: " + this.hint);
	}

	static String timestamp(OffsetDateTime time) {
		return TIMESTAMP.format(time);
	}

}
