package io.keyferry.report;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.keyferry.KeyferryException;
import io.keyferry.job.JobNames;
import io.keyferry.job.item.KeyCounts;
import io.keyferry.run.RunOwners;
import io.keyferry.repository.Differences;
import io.keyferry.repository.SkippedKeys;
import io.keyferry.repository.RepositorySchema;
import io.keyferry.job.item.Checkpoint;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.job.parameters.JobParameter;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Reads the history of copy runs from the job repository: the list of executions, the
 * details of one, and the pruning of old finished runs. Works while a copy runs in
 * another process (it only reads what that process committed). Thread-safe.
 */
public class RunHistory {

	private final JobRepository jobRepository;

	private final JdbcTemplate jdbc;

	private final SkippedKeys skippedKeys;

	private final RunOwners owners;

	private final Differences differences;

	public RunHistory(JobRepository jobRepository, JdbcTemplate jdbc, SkippedKeys skippedKeys, RunOwners owners,
			Differences differences) {
		this.differences = differences;
		this.jobRepository = jobRepository;
		this.jdbc = jdbc;
		this.skippedKeys = skippedKeys;
		this.owners = owners;
	}

	/**
	 * One line of the history.
	 *
	 * @param summary the execution's summary
	 * @param latestOfRun whether it is the run's latest execution
	 * @param owner the living process running it, if any
	 * @param goneOwner the process that left it running and is gone (killed), if any
	 */
	public record Entry(RunSummary summary, boolean latestOfRun, Optional<RunOwners.Owner> owner,
			Optional<RunOwners.Owner> goneOwner) {

		/**
		 * What to do about an unfinished run.
		 * @return the command that resumes it, "running …" for a running one, or
		 * {@code null}
		 */
		public String next() {
			if (this.owner.isPresent()) {
				return "running: " + this.owner.get().describe();
			}
			String gone = this.goneOwner
				.map((o) -> " (its process is gone: pid " + o.pid() + " on " + o.host() + ", last heartbeat "
						+ RunOwners.localTime(o.heartbeat()).withNano(0) + ")")
				.orElse("");
			if (this.latestOfRun && RunSummary.isUnfinished(this.summary.status())) {
				return "keyferry resume " + this.summary.executionId() + gone;
			}
			return null;
		}

		public Map<String, Object> toMap() {
			Map<String, Object> map = this.summary.toMap();
			map.put("next", next());
			return map;
		}

	}

	/**
	 * The executions, newest first.
	 * @param limit how many at most
	 * @param status only this status, or {@code null}
	 * @return the entries
	 */
	public List<Entry> list(int limit, BatchStatus status) {
		String sql = "SELECT E.JOB_EXECUTION_ID FROM BATCH_JOB_EXECUTION E JOIN BATCH_JOB_INSTANCE I"
				+ " ON I.JOB_INSTANCE_ID = E.JOB_INSTANCE_ID WHERE I.JOB_NAME IN (?, ?)"
				+ ((status != null) ? " AND E.STATUS = ?" : "") + " ORDER BY E.JOB_EXECUTION_ID DESC";
		Object[] args = (status != null) ? new Object[] { JobNames.JOB, JobNames.VERIFY_JOB, status.name() }
				: new Object[] { JobNames.JOB, JobNames.VERIFY_JOB };
		JdbcTemplate limited = new JdbcTemplate(this.jdbc.getDataSource());
		limited.setMaxRows(limit);
		List<Long> ids = limited.queryForList(sql, Long.class, args);
		List<Entry> entries = new ArrayList<>();
		for (long id : ids) {
			JobExecution execution = this.jobRepository.getJobExecution(id);
			if (execution != null) {
				entries.add(entry(execution));
			}
		}
		return entries;
	}

	private Entry entry(JobExecution execution) {
		JobExecution last = this.jobRepository.getLastJobExecution(execution.getJobInstance());
		boolean latest = last == null || last.getId() == execution.getId();
		Optional<RunOwners.Owner> owner = execution.isRunning() ? this.owners.livingOwner(execution) : Optional.empty();
		Optional<RunOwners.Owner> gone = Optional.empty();
		if (execution.isRunning() && owner.isEmpty()) {
			// killed: it ended at its owner's last heartbeat, not now (it is recovered
			// with that end by the next copy or resume)
			gone = this.owners.find(execution.getId());
			if (execution.getStartTime() != null) {
				execution.setEndTime(gone.map((o) -> RunOwners.localTime(o.heartbeat()))
					.filter((end) -> end.isAfter(execution.getStartTime()))
					.orElse(execution.getStartTime()));
			}
		}
		return new Entry(RunSummary.of(execution), latest, owner, gone);
	}

	/**
	 * A partition (or the partitioned step) of an execution.
	 *
	 * @param name the step name
	 * @param status its status
	 * @param counts its key counts in this execution
	 * @param commits committed chunks
	 * @param rollbacks rolled-back chunks
	 * @param cursor the checkpointed SCAN cursor
	 * @param done whether its scan finished
	 * @param sourceRunId the source process its cursor belongs to ({@code nodeId@runId}
	 * for a cluster node)
	 * @param node the source node it scans (host:port)
	 * @param slots the slots of a cluster source it stands for, {@code null} for a
	 * standalone source
	 * @param targetRunId the target process its writes went to
	 * @param rescans times it was scanned again from its start in this execution
	 * @param scanned how far its scan got
	 * @param exitDescription the failure, if any
	 */
	public record Step(String name, BatchStatus status, KeyCounts counts, long commits, long rollbacks, String cursor,
			boolean done, String sourceRunId, String node, String slots, String targetRunId, int rescans,
			double scanned, String exitDescription) {

		public Map<String, Object> toMap() {
			Map<String, Object> map = new LinkedHashMap<>();
			map.put("name", this.name);
			map.put("status", this.status.name());
			map.put("read", this.counts.read());
			map.put("written", this.counts.written());
			map.put("filtered", this.counts.filtered());
			map.put("skipped", Json.withFieldNames(this.counts.skipped()));
			map.put("fallback", Json.withFieldNames(this.counts.fallback()));
			map.put("commits", this.commits);
			map.put("rollbacks", this.rollbacks);
			map.put("cursor", this.cursor);
			map.put("done", this.done);
			map.put("sourceRunId", this.sourceRunId);
			map.put("node", this.node);
			map.put("slots", this.slots);
			map.put("targetRunId", this.targetRunId);
			map.put("rescans", this.rescans);
			map.put("scanned", Math.round(this.scanned * 10000) / 10000.0);
			map.put("failure", this.exitDescription);
			return map;
		}

	}

	/**
	 * Everything about one execution and its run.
	 *
	 * @param entry the execution's history entry
	 * @param parameters its (redacted) job parameters
	 * @param steps its partitions
	 * @param runExecutions every execution of the run, oldest first
	 * @param runTotals the counts summed over the run's executions
	 * @param skipped the execution's skipped keys (up to the limit asked)
	 * @param skippedCount how many keys it skipped in all
	 * @param differences for a verify run, the keys that differ as last compared (up to
	 * the limit asked)
	 * @param differenceCount for a verify run, how many keys differ in all
	 */
	public record Details(Entry entry, Map<String, Object> parameters, List<Step> steps, List<RunSummary> runExecutions,
			KeyCounts runTotals, List<SkippedKeys.SkippedKey> skipped, long skippedCount,
			List<Differences.Difference> differences, long differenceCount) {
	}

	/**
	 * The details of an execution.
	 * @param executionId the execution
	 * @param skippedLimit how many skipped keys to list
	 * @return the details
	 */
	public Details show(long executionId, int skippedLimit) {
		return show(executionId, skippedLimit, 0);
	}

	/**
	 * The details of an execution, with a verify run's differences.
	 * @param executionId the execution
	 * @param skippedLimit how many skipped keys to list
	 * @param differenceLimit how many differences of a verify run to list
	 * @return the details
	 */
	public Details show(long executionId, int skippedLimit, int differenceLimit) {
		JobExecution execution;
		try {
			execution = this.jobRepository.getJobExecution(executionId);
		}
		catch (org.springframework.dao.EmptyResultDataAccessException ex) {
			execution = null;
		}
		if (execution == null || !JobNames.isRunJob(execution.getJobInstance().getJobName())) {
			throw KeyferryException.usage("no execution " + executionId + " in the job repository",
					"list the executions with keyferry history");
		}
		Map<String, Object> parameters = new LinkedHashMap<>();
		for (JobParameter<?> parameter : execution.getJobParameters()) {
			parameters.put(parameter.name(), parameter.value());
		}
		List<Step> steps = new ArrayList<>();
		execution.getStepExecutions()
			.stream()
			.sorted(Comparator.comparing(StepExecution::getStepName))
			.forEach((step) -> steps.add(step(step)));
		List<RunSummary> runExecutions = new ArrayList<>();
		KeyCounts totals = new KeyCounts();
		for (JobExecution other : this.jobRepository.getJobExecutions(execution.getJobInstance())) {
			RunSummary summary = RunSummary.of(other);
			runExecutions.add(summary);
			totals.add(summary.counts());
		}
		runExecutions.sort(Comparator.comparingLong(RunSummary::executionId));
		List<SkippedKeys.SkippedKey> skipped = (skippedLimit > 0) ? this.skippedKeys.find(executionId, skippedLimit)
				: List.of();
		boolean verify = JobNames.VERIFY_JOB.equals(execution.getJobInstance().getJobName());
		long runId = execution.getJobInstanceId();
		List<Differences.Difference> differences = (verify && differenceLimit > 0)
				? this.differences.page(runId, 0, differenceLimit) : List.of();
		return new Details(entry(execution), parameters, steps, runExecutions, totals, skipped,
				this.skippedKeys.count(executionId), differences, verify ? this.differences.counts(runId).total() : 0);
	}

	private static Step step(StepExecution step) {
		ExecutionContext context = step.getExecutionContext();
		boolean ours = context.getLong(Checkpoint.COUNT_EXECUTION, -1) == step.getId();
		String description = step.getExitStatus().getExitDescription();
		return new Step(step.getStepName(), step.getStatus(), ours ? KeyCounts.readFrom(context) : new KeyCounts(),
				step.getCommitCount(), step.getRollbackCount(), context.getString(Checkpoint.CURSOR, null),
				Boolean.parseBoolean(context.getString(Checkpoint.DONE, "false")),
				context.getString(Checkpoint.RUN_ID, null), context.getString(Checkpoint.NODE, null),
				context.getString(Checkpoint.SLOTS, null), context.getString(Checkpoint.TARGET_RUN_ID, null),
				(context.getLong(Checkpoint.RESCANS_EXECUTION, -1) == step.getId())
						? context.getInt(Checkpoint.RESCANS, 0) : 0,
				context.getDouble(Checkpoint.FRACTION, 0.0),
				(description != null && !description.isBlank()) ? firstLine(description) : null);
	}

	private static String firstLine(String text) {
		return text.lines().findFirst().orElse("");
	}

	/**
	 * What {@link #prune} removed (or would remove).
	 *
	 * @param runs runs (job instances) removed
	 * @param executions executions removed
	 * @param skippedKeys skip records removed
	 */
	public record Pruned(int runs, int executions, long skippedKeys) {
	}

	/**
	 * Deletes finished runs (completed or abandoned) whose last execution ended before
	 * the cutoff, with their executions, contexts, owners and skip records. Unfinished
	 * runs are never deleted.
	 * @param olderThan the age
	 * @param dryRun count only
	 * @return what was (or would be) removed
	 */
	public Pruned prune(Duration olderThan, boolean dryRun) {
		LocalDateTime cutoff = LocalDateTime.now().minus(olderThan);
		int runs = 0;
		int executions = 0;
		long skipped = 0;
		List<JobInstance> instances = new ArrayList<>(this.jobRepository.findJobInstances(JobNames.JOB));
		instances.addAll(this.jobRepository.findJobInstances(JobNames.VERIFY_JOB));
		for (JobInstance instance : instances) {
			List<JobExecution> all = this.jobRepository.getJobExecutions(instance);
			JobExecution last = this.jobRepository.getLastJobExecution(instance);
			if (last == null || RunSummary.isUnfinished(last.getStatus()) || last.getEndTime() == null
					|| !last.getEndTime().isBefore(cutoff)) {
				continue;
			}
			runs++;
			executions += all.size();
			for (JobExecution execution : all) {
				skipped += this.skippedKeys.count(execution.getId());
			}
			if (!dryRun) {
				for (JobExecution execution : all) {
					this.jdbc.update(
							"DELETE FROM " + RepositorySchema.SKIPPED_KEY_TABLE + " WHERE JOB_EXECUTION_ID = ?",
							execution.getId());
					this.jdbc.update("DELETE FROM " + RepositorySchema.OWNER_TABLE + " WHERE JOB_EXECUTION_ID = ?",
							execution.getId());
				}
				this.differences.deleteRun(instance.getInstanceId());
				this.jobRepository.deleteJobInstance(instance);
			}
		}
		return new Pruned(runs, executions, skipped);
	}

}
