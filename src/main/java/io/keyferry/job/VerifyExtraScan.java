package io.keyferry.job;

import java.util.List;

import io.keyferry.redis.DifferenceKind;
import io.keyferry.redis.KeyScanner;
import io.keyferry.redis.KeyVerdict;
import io.keyferry.redis.RedisConnector;
import io.keyferry.redis.RedisFailures;
import io.keyferry.redis.ScanPage;
import io.keyferry.repository.Differences;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * {@code verify --extra}: scans the target (a standalone server) with the run's filter, a
 * SCAN page per call, and records the keys the source lacks as {@code extra}, in the
 * transaction that saves the cursor. Restartable: saves the cursor and the target's
 * {@code run_id}; a cursor of a target process that is gone is not reused (the scan
 * starts again). Not thread-safe (one step thread).
 */
final class VerifyExtraScan implements Tasklet, StepExecutionListener {

	private static final String CURSOR = "extra.cursor";

	private static final String RUN_ID = "extra.run-id";

	private final VerifySettings settings;

	private final RedisConnector connector;

	private final Differences differences;

	private final RunMonitor monitor;

	private VerifyConnections connections;

	VerifyExtraScan(VerifySettings settings, RedisConnector connector, Differences differences, RunMonitor monitor) {
		this.settings = settings;
		this.connector = connector;
		this.differences = differences;
		this.monitor = monitor;
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) {
		StepExecution step = chunkContext.getStepContext().getStepExecution();
		if (this.monitor.isStopRequested()) {
			step.setTerminateOnly();
			return RepeatStatus.CONTINUABLE;
		}
		ExecutionContext context = step.getExecutionContext();
		CopySettings copy = this.settings.copy();
		String runId = this.settings.copy()
			.backoff()
			.call(() -> connections().targetRunId(), this.monitor::isStopRequested,
					(failure) -> RedisFailures.describe("target", copy.target(), failure));
		long cursor = Long.parseUnsignedLong(context.getString(CURSOR, "0"));
		String saved = context.getString(RUN_ID, null);
		if (saved != null && !saved.equals(runId) && cursor != 0) {
			this.monitor.warn("the target's process changed (run_id " + saved + " -> " + runId
					+ "): its scan for extra keys starts again");
			cursor = 0;
		}
		KeyScanner scanner = new KeyScanner(connections().target().connection(), copy.match(), copy.type(),
				copy.scanCount());
		long from = cursor;
		ScanPage page = copy.backoff()
			.call(() -> scanner.scan(from), this.monitor::isStopRequested,
					(failure) -> RedisFailures.describe("target", copy.target(), failure));
		List<byte[]> extra = copy.backoff()
			.call(() -> connections().verifier().extra(page.keys()), this.monitor::isStopRequested,
					(failure) -> RedisFailures.describe("target", copy.target(), failure));
		this.differences.record(step.getJobExecution().getJobInstanceId(), step.getJobExecutionId(), 1,
				extra.stream()
					.map((key) -> KeyVerdict.different(key, DifferenceKind.EXTRA, "not in the source"))
					.toList());
		context.putString(CURSOR, Long.toUnsignedString(page.nextCursor()));
		context.putString(RUN_ID, runId);
		return (page.nextCursor() == 0) ? RepeatStatus.FINISHED : RepeatStatus.CONTINUABLE;
	}

	private VerifyConnections connections() {
		if (this.connections == null) {
			this.connections = new VerifyConnections(this.settings, this.connector);
		}
		return this.connections;
	}

	@Override
	public ExitStatus afterStep(StepExecution stepExecution) {
		if (this.connections != null) {
			this.connections.close();
			this.connections = null;
		}
		return null;
	}

}
