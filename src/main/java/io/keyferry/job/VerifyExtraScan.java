package io.keyferry.job;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import io.keyferry.redis.DifferenceKind;
import io.keyferry.redis.KeyNames;
import io.keyferry.redis.KeyVerdict;
import io.keyferry.redis.MissingKeys;
import io.keyferry.redis.PrefixRenames;
import io.keyferry.redis.RedisConnector;
import io.keyferry.repository.Differences;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * {@code verify --extra}: scans the target (its database, or each master of a cluster) a
 * SCAN page per call ({@link TargetScan}), and records as {@code extra} the keys of the
 * run's filter that the target has and the source lacks under every name they can have
 * been copied from ({@link MissingKeys#missing}: under {@code --rename-prefix} the
 * inverse of the renames), by the target's name, in the transaction that saves the scan's
 * position (each with its database, {@code --all-databases}). Restartable: a cursor of a
 * target process that is gone is not reused (that master, or the database, is scanned
 * again). Not thread-safe (one step thread).
 */
final class VerifyExtraScan implements Tasklet, StepExecutionListener {

	private final Differences differences;

	private final RunMonitor monitor;

	private final TargetScan scan;

	private final PrefixRenames renames;

	VerifyExtraScan(VerifySettings settings, RedisConnector connector, Differences differences, RunMonitor monitor) {
		this.scan = new TargetScan("extra.", "extra keys", settings.copy(), connector, monitor);
		this.renames = settings.copy().renames();
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
		TargetScan.Unit unit = this.scan.unit(step.getExecutionContext(), page.unit());
		// a master that is gone: the scan starts again and finds its keys then
		List<byte[]> missing = (unit != null) ? this.scan.call("source", () -> unit.keys().missing(page.keys()))
				: List.of();
		// a key deleted from the target since the scan is not extra
		List<byte[]> extra = missing.isEmpty() ? missing
				: this.scan.call("target", () -> unit.keys().inTarget(missing));
		this.differences.record(step.getJobExecution().getJobInstanceId(), step.getJobExecutionId(), page.database(), 1,
				extra.stream().map((key) -> KeyVerdict.different(key, DifferenceKind.EXTRA, detail(key))).toList());
		if (!extra.isEmpty() && page.from() != 0) {
			TestHalt.at("extra-recorded");
		}
		return RepeatStatus.CONTINUABLE;
	}

	/**
	 * Says that the key is the target's name and, when renames apply, which source names
	 * the source lacks.
	 */
	private String detail(byte[] targetKey) {
		List<byte[]> names = this.renames.sourceKeys(targetKey);
		if (names.size() == 1 && Arrays.equals(names.get(0), targetKey)) {
			return "target key; not in the source";
		}
		return "target key; not in the source as "
				+ names.stream().map((name) -> "\"" + KeyNames.escape(name) + "\"").collect(Collectors.joining(" or "));
	}

	@Override
	public ExitStatus afterStep(StepExecution stepExecution) {
		this.scan.close();
		return null;
	}

}
