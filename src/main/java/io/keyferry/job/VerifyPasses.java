package io.keyferry.job;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.keyferry.job.item.VerifyCounts;
import io.keyferry.redis.Backoff;
import io.keyferry.redis.DifferenceKind;
import io.keyferry.redis.KeyVerdict;
import io.keyferry.redis.RedisConnector;
import io.keyferry.redis.RedisFailures;
import io.keyferry.repository.Differences;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * The later passes of a verify run: after a pause, every key recorded as different is
 * compared again (in the database it was recorded in, {@code --all-databases}), a page of
 * records per call (one transaction each: the records updated or deleted with the
 * position saved in the step's context), so that keys changed by writes during the first
 * pass settle and only keys that still differ in the last pass remain. At the end it
 * saves the run's final counts in its context ({@link VerifyCounts}, {@link #FINAL}).
 * Restartable: resumes at the saved pass and record. Not thread-safe (one step thread).
 */
final class VerifyPasses implements Tasklet, StepExecutionListener {

	/** Marks the step's context as holding the run's final counts. */
	static final String FINAL = VerifyCounts.FINAL;

	private static final String PASS = "verify.pass";

	private static final String AFTER = "verify.pass.after";

	private static final int PAGE = 500;

	private final VerifySettings settings;

	private final Differences differences;

	private final JobRepository jobRepository;

	private final RunMonitor monitor;

	private final VerifyConnections.OnDemand connections;

	VerifyPasses(VerifySettings settings, RedisConnector connector, Differences differences,
			JobRepository jobRepository, RunMonitor monitor) {
		this.settings = settings;
		this.connections = new VerifyConnections.OnDemand(settings, connector, monitor);
		this.differences = differences;
		this.jobRepository = jobRepository;
		this.monitor = monitor;
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) {
		StepExecution step = chunkContext.getStepContext().getStepExecution();
		ExecutionContext context = step.getExecutionContext();
		long runId = step.getJobExecution().getJobInstanceId();
		int pass = context.getInt(PASS, 2);
		long after = context.getLong(AFTER, 0);
		if (this.monitor.isStopRequested()) {
			step.setTerminateOnly();
			return RepeatStatus.CONTINUABLE;
		}
		if (pass > this.settings.passes()) {
			finish(step, runId);
			return RepeatStatus.FINISHED;
		}
		if (after == 0) {
			long left = this.differences.counts(runId).total();
			if (left == 0) {
				finish(step, runId);
				return RepeatStatus.FINISHED;
			}
			this.monitor.info("pass " + pass + " of " + this.settings.passes() + ": comparing again " + left + " key"
					+ ((left == 1) ? "" : "s") + " that differed, after " + this.settings.passPause().toMillis()
					+ " ms");
			TestHalt.at("before-pass");
			pause();
		}
		List<Differences.Difference> rows = this.differences.page(runId, after, PAGE);
		if (rows.isEmpty()) {
			context.putInt(PASS, pass + 1);
			context.putLong(AFTER, 0);
			return RepeatStatus.CONTINUABLE;
		}
		compareAgain(this.connections, this.settings, this.differences, this.monitor, rows, pass);
		context.putInt(PASS, pass);
		context.putLong(AFTER, rows.get(rows.size() - 1).id());
		return RepeatStatus.CONTINUABLE;
	}

	/**
	 * Compares the keys of recorded differences again, now, each in the database it was
	 * recorded in: a row whose key is equal is deleted, one that still differs is
	 * updated.
	 * @param connections both sides, per database
	 * @param settings the run's settings
	 * @param differences the records
	 * @param monitor the run's live state
	 * @param rows the rows
	 * @param pass the pass that compares them
	 */
	static void compareAgain(VerifyConnections.OnDemand connections, VerifySettings settings, Differences differences,
			RunMonitor monitor, List<Differences.Difference> rows, int pass) {
		byDatabase(rows).forEach((database, ofDatabase) -> compareAgain(connections.get(database), settings,
				differences, monitor, ofDatabase, pass));
	}

	/**
	 * Rows by the database they were recorded in ({@code null}: the endpoints'), in the
	 * order of their first row.
	 * @param rows the rows
	 * @return the rows of each database, in id order
	 */
	static Map<Integer, List<Differences.Difference>> byDatabase(List<Differences.Difference> rows) {
		Map<Integer, List<Differences.Difference>> groups = new LinkedHashMap<>();
		for (Differences.Difference row : rows) {
			groups.computeIfAbsent(row.database(), (database) -> new ArrayList<>()).add(row);
		}
		return groups;
	}

	private static void compareAgain(VerifyConnections connections, VerifySettings settings, Differences differences,
			RunMonitor monitor, List<Differences.Difference> rows, int pass) {
		List<Differences.Difference> extra = new ArrayList<>();
		List<Differences.Difference> others = new ArrayList<>();
		for (Differences.Difference row : rows) {
			((row.kind() == DifferenceKind.EXTRA) ? extra : others).add(row);
		}
		Backoff backoff = settings.copy().backoff();
		if (!others.isEmpty()) {
			List<KeyVerdict> verdicts = backoff.call(
					() -> connections.verifier().verify(others.stream().map(Differences.Difference::key).toList()),
					monitor::isStopRequested,
					(failure) -> RedisFailures.describe("source", settings.copy().source(), failure));
			for (int i = 0; i < others.size(); i++) {
				KeyVerdict verdict = verdicts.get(i);
				if (verdict.isDifferent()) {
					differences.update(others.get(i).id(), verdict.kind(), verdict.detail(), pass);
				}
				else {
					differences.delete(others.get(i).id());
				}
			}
		}
		if (!extra.isEmpty()) {
			List<byte[]> keys = extra.stream().map(Differences.Difference::key).toList();
			List<byte[]> still = backoff.call(() -> connections.extraKeys().extra(keys), monitor::isStopRequested,
					(failure) -> RedisFailures.describe("target", settings.copy().target(), failure));
			for (Differences.Difference row : extra) {
				if (still.stream().anyMatch((key) -> java.util.Arrays.equals(key, row.key()))) {
					differences.update(row.id(), DifferenceKind.EXTRA, row.detail(), pass);
				}
				else {
					differences.delete(row.id());
				}
			}
		}
	}

	/**
	 * Saves the run's final counts: the differences recorded now, and the keys checked in
	 * the first pass over all of the run's executions.
	 */
	private void finish(StepExecution step, long runId) {
		VerifyCounts counts = totals(this.differences, this.jobRepository, step, runId);
		counts.writeTo(step.getExecutionContext());
		step.getExecutionContext().putString(FINAL, "true");
	}

	/**
	 * The run's counts now: the differences recorded, and the keys read and checked in
	 * the first pass over all of the run's executions.
	 * @param differences the records
	 * @param jobRepository the repository
	 * @param step a step of the run
	 * @param runId the run
	 * @return the counts
	 */
	static VerifyCounts totals(Differences differences, JobRepository jobRepository, StepExecution step, long runId) {
		VerifyCounts counts = differences.counts(runId);
		VerifyCounts checked = new VerifyCounts();
		for (JobExecution execution : jobRepository.getJobExecutions(step.getJobExecution().getJobInstance())) {
			for (StepExecution partition : execution.getStepExecutions()) {
				ExecutionContext context = partition.getExecutionContext();
				if (JobNames.isPartitionStep(partition.getStepName())
						&& context.getLong(io.keyferry.job.item.Checkpoint.COUNT_EXECUTION, -1) == partition.getId()) {
					checked.add(VerifyCounts.readFrom(context));
				}
			}
		}
		counts.addRead(checked.read());
		counts.addChecked(checked.checked());
		return counts;
	}

	private void pause() {
		long until = System.nanoTime() + this.settings.passPause().toNanos();
		while (System.nanoTime() < until && !this.monitor.isStopRequested()) {
			try {
				Thread.sleep(Math.min(50, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	@Override
	public ExitStatus afterStep(StepExecution stepExecution) {
		this.connections.close();
		return null;
	}

}
