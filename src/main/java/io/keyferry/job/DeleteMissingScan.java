package io.keyferry.job;

import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import io.keyferry.redis.MissingKeys;
import io.keyferry.redis.RedisConnector;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * {@code copy --delete-missing}: after the copy's scan, scans the target (each database
 * of an {@code --all-databases} run, each master of a cluster) a SCAN page per call, and
 * deletes the keys of the run's filter that the source has under none of their names
 * ({@link MissingKeys}). Marks, then deletes: one call commits the page's candidates with
 * the scan's next position ({@link TargetScan}), the next call checks each candidate
 * against the source again right before it deletes it (a key the source has by then
 * stays) and commits the count. A resumed execution deletes the candidates left by a
 * killed one and counts those the source still lacks, then continues the scan from its
 * checkpoint. Deleting twice is harmless; a cursor of another process may only miss keys.
 * Not thread-safe (one step thread).
 */
final class DeleteMissingScan implements Tasklet, StepExecutionListener {

	private static final String PENDING = "delete.pending";

	private static final String PENDING_UNIT = "delete.pending-unit";

	private static final String PENDING_EXECUTION = "delete.pending-execution";

	private final CopySettings settings;

	private final TargetScan scan;

	private final RunMonitor monitor;

	DeleteMissingScan(CopySettings settings, RedisConnector connector, RunMonitor monitor) {
		this.settings = settings;
		this.scan = new TargetScan("delete.", "keys to delete", settings, connector, monitor);
		this.monitor = monitor;
	}

	@Override
	public void beforeStep(StepExecution stepExecution) {
		this.monitor.info("scanning the target for keys of the filter that the source no longer has"
				+ (this.settings.dryRun() ? " (dry run: counted, not deleted)" : ""));
		ExecutionContext context = stepExecution.getExecutionContext();
		if (context.getLong(JobNames.DELETED_EXECUTION, -1) != stepExecution.getId()) {
			// counts are per execution, as the copy's are
			context.putLong(JobNames.DELETED, 0);
			context.putLong(JobNames.DELETED_EXECUTION, stepExecution.getId());
		}
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) {
		StepExecution step = chunkContext.getStepContext().getStepExecution();
		if (this.monitor.isStopRequested()) {
			step.setTerminateOnly();
			return RepeatStatus.CONTINUABLE;
		}
		ExecutionContext context = step.getExecutionContext();
		if (context.containsKey(PENDING)) {
			deletePending(step, context);
			return RepeatStatus.CONTINUABLE;
		}
		TargetScan.Page page = this.scan.next(context);
		if (page == null) {
			return RepeatStatus.FINISHED;
		}
		if (page.keys().isEmpty()) {
			return RepeatStatus.CONTINUABLE;
		}
		TargetScan.Unit unit = this.scan.unit(context, page.unit());
		List<byte[]> missing = (unit != null) ? this.scan.call("source", () -> unit.keys().missing(page.keys()))
				: List.of();
		if (!missing.isEmpty()) {
			if (this.settings.dryRun()) {
				context.putLong(JobNames.DELETED, context.getLong(JobNames.DELETED) + missing.size());
			}
			else {
				context.putString(PENDING, encode(missing));
				context.putInt(PENDING_UNIT, page.unit());
				context.putLong(PENDING_EXECUTION, step.getId());
			}
		}
		return RepeatStatus.CONTINUABLE;
	}

	/**
	 * Deletes the candidates the last page left, those the source still lacks. A list
	 * left by a killed execution may have been deleted already: each key the source lacks
	 * counts then, whatever the target replies.
	 */
	private void deletePending(StepExecution step, ExecutionContext context) {
		TestHalt.at("delete-marked");
		List<byte[]> pending = decode(context.getString(PENDING));
		TargetScan.Unit unit = this.scan.unit(context, context.getInt(PENDING_UNIT));
		boolean again = context.getLong(PENDING_EXECUTION) != step.getId();
		long deleted;
		if (unit == null) {
			// a master of the scan is gone: its keys are found again by the new scan
			deleted = 0;
		}
		else {
			// checked right before the delete: a key the source has again stays
			List<byte[]> missing = this.scan.call("source", () -> unit.keys().missing(pending));
			long removed = this.scan.call("target", () -> unit.keys().delete(missing));
			deleted = again ? missing.size() : removed;
		}
		TestHalt.at("delete-unlinked");
		context.putLong(JobNames.DELETED, context.getLong(JobNames.DELETED) + deleted);
		context.remove(PENDING);
		context.remove(PENDING_UNIT);
		context.remove(PENDING_EXECUTION);
	}

	@Override
	public ExitStatus afterStep(StepExecution stepExecution) {
		this.scan.close();
		return null;
	}

	static String encode(List<byte[]> keys) {
		Base64.Encoder encoder = Base64.getEncoder();
		return String.join(",", keys.stream().map(encoder::encodeToString).toList());
	}

	static List<byte[]> decode(String keys) {
		Base64.Decoder decoder = Base64.getDecoder();
		return Arrays.stream(keys.split(",")).filter((key) -> !key.isEmpty()).map(decoder::decode).toList();
	}

}
