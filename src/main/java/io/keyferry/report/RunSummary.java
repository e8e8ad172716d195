package io.keyferry.report;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.SortedMap;
import java.util.TreeMap;

import io.keyferry.job.JobNames;
import io.keyferry.job.item.KeyCounts;
import io.keyferry.job.item.VerifyCounts;
import io.keyferry.redis.DifferenceKind;
import io.keyferry.job.SourceLayout;
import io.keyferry.job.item.Checkpoint;
import io.keyferry.redis.ServerInfo;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.step.StepExecution;

/**
 * What one execution did, read from the job repository: its status, its key counts
 * (summed over the partitions that ran in it) and its timing. Immutable.
 *
 * @param executionId the job execution id
 * @param runId the run (job instance) id
 * @param run the run's number among copies with the same source, target and filter
 * @param status the batch status
 * @param source the redacted source
 * @param target the redacted target
 * @param match the filter
 * @param type the type filter, empty for all
 * @param dryRun whether nothing was written
 * @param counts the key counts of this execution
 * @param startTime when it started
 * @param endTime when it ended, {@code null} while running
 * @param scanned how far the scan got, 0 to 1
 * @param rescans times a partition was scanned again from its start because the source or
 * target process changed
 * @param allDatabases whether the run copies every database of its source
 * ({@code --all-databases})
 * @param databases the counts of each database of an {@code --all-databases} run (empty
 * for another run)
 * @param otherDatabases the databases of the source, besides the one copied, that held
 * keys when the execution started, with their key counts (empty for an
 * {@code --all-databases} run)
 * @param verify for a verify run, what it found: the run's final counts once its last
 * pass ended, the first pass's counts of this execution before; {@code null} for a copy
 * @param verifyExecutionChecked for a verify run, the keys this execution checked in its
 * first pass (a resumed execution checks only what was left)
 * @param fix whether the verify run fixes what differs ({@code --fix}): {@link #verify}
 * then also counts the keys copied again and deleted, and its differences are those left
 * after the fix
 * @param deleteMissing whether the run deletes the target's keys that the source no
 * longer has ({@code --delete-missing})
 * @param deleted the keys of the target this execution deleted (counted, not deleted, in
 * a dry run)
 */
public record RunSummary(long executionId, long runId, long run, BatchStatus status, String source, String target,
		String match, String type, boolean dryRun, KeyCounts counts, LocalDateTime startTime, LocalDateTime endTime,
		double scanned, int rescans, boolean allDatabases, SortedMap<Integer, KeyCounts> databases,
		SortedMap<Integer, Long> otherDatabases, VerifyCounts verify, long verifyExecutionChecked, boolean fix,
		boolean deleteMissing, long deleted) {

	/**
	 * Whether this is a verify run.
	 * @return true for {@code keyferry verify}
	 */
	public boolean isVerify() {
		return this.verify != null;
	}

	/**
	 * The job's name as the history shows it.
	 * @return copy or verify
	 */
	public String job() {
		return isVerify() ? JobNames.VERIFY_JOB : JobNames.JOB;
	}

	/**
	 * Summarizes an execution loaded from the repository.
	 * @param execution the execution with its step executions
	 * @return the summary
	 */
	public static RunSummary of(JobExecution execution) {
		KeyCounts counts = new KeyCounts();
		SortedMap<Integer, KeyCounts> databases = new TreeMap<>();
		int rescans = 0;
		boolean verifyRun = JobNames.VERIFY_JOB.equals(execution.getJobInstance().getJobName());
		VerifyCounts verified = new VerifyCounts();
		VerifyCounts last = null;
		boolean fixed = false;
		long deleted = 0;
		for (StepExecution step : execution.getStepExecutions()) {
			// the fix's counts, when there is one, are the run's last
			if (verifyRun && step.getExecutionContext().containsKey(VerifyCounts.FINAL)
					&& (step.getStepName().equals(JobNames.VERIFY_FIX_STEP)
							|| (step.getStepName().equals(JobNames.VERIFY_RECHECK_STEP) && !fixed))) {
				last = VerifyCounts.readFrom(step.getExecutionContext());
				fixed = step.getStepName().equals(JobNames.VERIFY_FIX_STEP);
			}
			if (step.getStepName().equals(JobNames.DELETE_STEP)
					&& step.getExecutionContext().getLong(JobNames.DELETED_EXECUTION, -1) == step.getId()) {
				deleted += step.getExecutionContext().getLong(JobNames.DELETED, 0);
			}
			if (!JobNames.isPartitionStep(step.getStepName())) {
				continue;
			}
			var context = step.getExecutionContext();
			int database = context.getInt(Checkpoint.DATABASE, -1);
			KeyCounts ofDatabase = (database >= 0) ? databases.computeIfAbsent(database, (db) -> new KeyCounts())
					: null;
			if (context.getLong(Checkpoint.COUNT_EXECUTION, -1) == step.getId()) {
				KeyCounts ofStep = KeyCounts.readFrom(context);
				counts.add(ofStep);
				if (ofDatabase != null) {
					ofDatabase.add(ofStep);
				}
				if (verifyRun) {
					verified.add(VerifyCounts.readFrom(context));
				}
			}
			if (context.getLong(Checkpoint.RESCANS_EXECUTION, -1) == step.getId()) {
				rescans += context.getInt(Checkpoint.RESCANS, 0);
			}
		}
		OptionalDouble scanned = SourceLayout.scanned(execution.getStepExecutions());
		JobParameters parameters = execution.getJobParameters();
		boolean fix = Boolean.parseBoolean(parameters.getString(JobNames.FIX, "false"));
		return new RunSummary(execution.getId(), execution.getJobInstanceId(), parameters.getLong(JobNames.RUN, 0L),
				execution.getStatus(), parameters.getString(JobNames.SOURCE, ""),
				parameters.getString(JobNames.TARGET, ""), parameters.getString(JobNames.MATCH, "*"),
				parameters.getString(JobNames.TYPE, ""), Boolean.parseBoolean(parameters.getString(JobNames.DRY_RUN)),
				counts, execution.getStartTime(), execution.getEndTime(),
				(execution.getStatus() == BatchStatus.COMPLETED) ? 1.0 : scanned.orElse(0), rescans,
				Boolean.parseBoolean(parameters.getString(JobNames.ALL_DATABASES, "false")), databases,
				ServerInfo.parseKeyspace(execution.getExecutionContext().getString(JobNames.OTHER_DATABASES, "")),
				verifyRun ? ((last != null) ? last : verified) : null, verified.checked(), verifyRun && fix,
				Boolean.parseBoolean(parameters.getString(JobNames.DELETE_MISSING, "false")), deleted);
	}

	public Duration duration() {
		if (this.startTime == null) {
			return Duration.ZERO;
		}
		LocalDateTime end = (this.endTime != null) ? this.endTime : LocalDateTime.now();
		return Duration.between(this.startTime, end);
	}

	public double keysPerSecond() {
		long millis = duration().toMillis();
		return (millis > 0) ? this.counts.read() * 1000.0 / millis : 0;
	}

	/**
	 * The summary as a JSON-ready map.
	 * @return ordered fields
	 */
	public Map<String, Object> toMap() {
		Map<String, Object> map = new LinkedHashMap<>();
		map.put("executionId", this.executionId);
		map.put("runId", this.runId);
		map.put("run", this.run);
		map.put("status", this.status.name());
		map.put("job", job());
		map.put("source", this.source);
		map.put("target", this.target);
		map.put("match", this.match);
		map.put("type", this.type.isEmpty() ? null : this.type);
		map.put("dryRun", this.dryRun);
		map.put("read", this.counts.read());
		map.put("written", this.counts.written());
		map.put("filtered", this.counts.filtered());
		map.put("skipped", Json.withFieldNames(this.counts.skipped()));
		map.put("skippedTotal", this.counts.skippedTotal());
		map.put("fallback", Json.withFieldNames(this.counts.fallback()));
		map.put("fallbackTotal", this.counts.fallbackTotal());
		map.put("bytes", this.counts.bytes());
		if (!isVerify()) {
			map.put("deleteMissing", this.deleteMissing);
			map.put("deleted", this.deleted);
		}
		map.put("startTime", Timestamps.json(this.startTime));
		map.put("endTime", Timestamps.json(this.endTime));
		map.put("durationMs", duration().toMillis());
		map.put("keysPerSecond", Math.round(keysPerSecond()));
		map.put("scanned", Math.round(this.scanned * 10000) / 10000.0);
		map.put("rescans", this.rescans);
		map.put("allDatabases", this.allDatabases);
		if (!this.databases.isEmpty()) {
			List<Map<String, Object>> perDatabase = new ArrayList<>();
			this.databases.forEach((db, counts) -> {
				Map<String, Object> entry = new LinkedHashMap<>();
				entry.put("database", db);
				entry.put("read", counts.read());
				entry.put("written", counts.written());
				entry.put("filtered", counts.filtered());
				entry.put("skipped", Json.withFieldNames(counts.skipped()));
				entry.put("skippedTotal", counts.skippedTotal());
				entry.put("bytes", counts.bytes());
				perDatabase.add(entry);
			});
			map.put("databases", perDatabase);
		}
		if (!this.otherDatabases.isEmpty()) {
			Map<String, Object> other = new LinkedHashMap<>();
			this.otherDatabases.forEach((db, keys) -> other.put(Integer.toString(db), keys));
			map.put("otherDatabases", other);
		}
		if (this.verify != null) {
			map.put("checked", this.verify.checked());
			map.put("equal", this.verify.equal());
			map.put("missing", this.verify.count(DifferenceKind.MISSING));
			map.put("differentType", this.verify.count(DifferenceKind.TYPE));
			map.put("differentValue", this.verify.count(DifferenceKind.VALUE));
			map.put("differentTtl", this.verify.count(DifferenceKind.TTL));
			map.put("extra", this.verify.count(DifferenceKind.EXTRA));
			map.put("differences", this.verify.total());
			map.put("fix", this.fix);
			map.put("fixed", this.verify.fixed());
			map.put("deleted", this.verify.deleted());
			map.put("executionChecked", this.verifyExecutionChecked);
		}
		return map;
	}

	/**
	 * The summary as text lines.
	 * @return the lines
	 */
	public List<String> toText() {
		List<String> lines = new ArrayList<>();
		if (this.verify != null) {
			return verifyText();
		}
		lines.add(String.format(Locale.ROOT, "%s%s  execution %d  run #%d", this.status.name(),
				this.dryRun ? " (dry run: nothing written)" : "", this.executionId, this.run));
		lines.add("  " + this.source + " -> " + this.target + "  match " + this.match
				+ (this.type.isEmpty() ? "" : "  type " + this.type) + (this.allDatabases ? "  all databases" : ""));
		StringBuilder skipped = new StringBuilder();
		this.counts.skipped().forEach((reason, n) -> {
			if (n > 0) {
				skipped.append(skipped.isEmpty() ? " (" : ", ").append(reason).append(' ').append(number(n));
			}
		});
		if (!skipped.isEmpty()) {
			skipped.append(')');
		}
		StringBuilder fallback = new StringBuilder();
		this.counts.fallback().forEach((reason, n) -> {
			if (n > 0) {
				fallback.append(fallback.isEmpty() ? " (type by type: " : ", ")
					.append(reason)
					.append(' ')
					.append(number(n));
			}
		});
		if (!fallback.isEmpty()) {
			fallback.append(')');
		}
		lines.add(String.format(Locale.ROOT, "  read %s  %s %s%s  filtered %s  skipped %s%s",
				number(this.counts.read()), this.dryRun ? "would write" : "written", number(this.counts.written()),
				fallback, number(this.counts.filtered()), number(this.counts.skippedTotal()), skipped));
		if (this.deleteMissing) {
			lines.add(String.format(Locale.ROOT, "  %s %s (target keys of the filter the source no longer has)",
					this.dryRun ? "would delete" : "deleted", number(this.deleted)));
		}
		lines.add(String.format(Locale.ROOT, "  %s in %s, %s keys/s", bytes(this.counts.bytes()), duration(duration()),
				number(Math.round(keysPerSecond()))));
		this.databases.forEach((db,
				counts) -> lines.add(String.format(Locale.ROOT, "  db%-3d read %s  %s %s  filtered %s  skipped %s", db,
						number(counts.read()), this.dryRun ? "would write" : "written", number(counts.written()),
						number(counts.filtered()), number(counts.skippedTotal()))));
		if (!this.otherDatabases.isEmpty()) {
			lines.add("  not copied: other databases of the source hold keys: "
					+ ServerInfo.describeKeyspace(this.otherDatabases) + " (--all-databases copies them)");
		}
		return lines;
	}

	private List<String> verifyText() {
		List<String> lines = new ArrayList<>();
		String verdict = (this.status != BatchStatus.COMPLETED) ? ""
				: (this.verify.total() == 0) ? ": target matches the source"
						: ": " + number(this.verify.total()) + " difference" + ((this.verify.total() == 1) ? "" : "s");
		lines.add(String.format(Locale.ROOT, "%s  verify execution %d  run #%d%s", this.status.name(), this.executionId,
				this.run, verdict));
		lines.add("  " + this.source + " -> " + this.target + "  match " + this.match
				+ (this.type.isEmpty() ? "" : "  type " + this.type) + (this.allDatabases ? "  all databases" : ""));
		lines.add(String.format(Locale.ROOT,
				"  checked %s  equal %s  missing %s  differentType %s  differentValue %s  differentTtl %s  extra %s",
				number(this.verify.checked()), number(this.verify.equal()),
				number(this.verify.count(DifferenceKind.MISSING)), number(this.verify.count(DifferenceKind.TYPE)),
				number(this.verify.count(DifferenceKind.VALUE)), number(this.verify.count(DifferenceKind.TTL)),
				number(this.verify.count(DifferenceKind.EXTRA))));
		if (this.fix) {
			lines.add(String.format(Locale.ROOT,
					"  fixed %s  deleted %s  (the counts above are what differs after the fix)",
					number(this.verify.fixed()), number(this.verify.deleted())));
		}
		lines.add(String.format(Locale.ROOT, "  this execution checked %s keys in %s",
				number(this.verifyExecutionChecked), duration(duration())));
		return lines;
	}

	public static String number(long n) {
		return String.format(Locale.ROOT, "%,d", n);
	}

	public static String bytes(long bytes) {
		if (bytes < 1024) {
			return bytes + " B";
		}
		String[] units = { "KiB", "MiB", "GiB", "TiB" };
		double value = bytes;
		int unit = -1;
		while (value >= 1024 && unit < units.length - 1) {
			value /= 1024;
			unit++;
		}
		return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
	}

	public static String duration(Duration duration) {
		long millis = duration.toMillis();
		if (millis < 60_000) {
			return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
		}
		long s = millis / 1000;
		return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
	}

	public static boolean isUnfinished(BatchStatus status) {
		return status != BatchStatus.COMPLETED && status != BatchStatus.ABANDONED;
	}

}
