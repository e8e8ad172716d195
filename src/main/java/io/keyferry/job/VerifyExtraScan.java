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
 * SCAN page per call ({@link TargetScan}), and records the keys the source lacks as
 * {@code extra}, in the transaction that saves the scan's position. Restartable: a cursor
 * of a target process that is gone is not reused (the scan starts again). Not thread-safe
 * (one step thread).
 */
final class VerifyExtraScan implements Tasklet, StepExecutionListener {

	private final VerifySettings settings;

	private final RedisConnector connector;

	private final Differences differences;

	private final RunMonitor monitor;

	private final TargetScan scan;

	private VerifyConnections connections;

	VerifyExtraScan(VerifySettings settings, RedisConnector connector, Differences differences, RunMonitor monitor) {
		this.settings = settings;
		this.scan = new TargetScan("extra.", "extra keys", settings.copy(), connector, monitor);
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
		TargetScan.Page page = this.scan.next(step.getExecutionContext());
		if (page == null) {
			return RepeatStatus.FINISHED;
		}
		List<byte[]> extra = this.scan.call("target", () -> connections().verifier().extra(page.keys()));
		this.differences.record(step.getJobExecution().getJobInstanceId(), step.getJobExecutionId(), 1,
				extra.stream()
					.map((key) -> KeyVerdict.different(key, DifferenceKind.EXTRA, "not in the source"))
					.toList());
		return RepeatStatus.CONTINUABLE;
	}

	private VerifyConnections connections() {
		if (this.connections == null) {
			this.connections = new VerifyConnections(this.settings, this.connector);
		}
		return this.connections;
	}

	@Override
	public ExitStatus afterStep(StepExecution stepExecution) {
		this.scan.close();
		if (this.connections != null) {
			this.connections.close();
			this.connections = null;
		}
		return null;
	}

}
