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
 * {@code extra} (each with its database, {@code --all-databases}), in the transaction
 * that saves the scan's position. Restartable: a cursor of a target process that is gone
 * is not reused (the scan starts again). Not thread-safe (one step thread).
 */
final class VerifyExtraScan implements Tasklet, StepExecutionListener {

	private final Differences differences;

	private final RunMonitor monitor;

	private final TargetScan scan;

	private final VerifyConnections.OnDemand connections;

	VerifyExtraScan(VerifySettings settings, RedisConnector connector, Differences differences, RunMonitor monitor) {
		this.scan = new TargetScan("extra.", "extra keys", settings.copy(), connector, monitor);
		this.connections = new VerifyConnections.OnDemand(settings, connector);
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
		if (page.keys().isEmpty()) {
			return RepeatStatus.CONTINUABLE;
		}
		List<byte[]> extra = this.scan.call("target",
				() -> this.connections.get(page.database()).verifier().extra(page.keys()));
		this.differences.record(step.getJobExecution().getJobInstanceId(), step.getJobExecutionId(), page.database(), 1,
				extra.stream()
					.map((key) -> KeyVerdict.different(key, DifferenceKind.EXTRA, "not in the source"))
					.toList());
		return RepeatStatus.CONTINUABLE;
	}

	@Override
	public ExitStatus afterStep(StepExecution stepExecution) {
		this.scan.close();
		this.connections.close();
		return null;
	}

}
