package io.keyferry.job.item;

import java.util.ArrayList;
import java.util.List;

import io.keyferry.redis.KeyVerdict;
import org.springframework.batch.infrastructure.item.Chunk;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.item.ItemStreamWriter;

/**
 * Records the keys of a chunk that differ (first pass) in the job repository and keeps
 * the partition's verify counts. Not thread-safe (Batch 6 writes on the step thread).
 * Restartable like {@code RestoreWriter}: a chunk's counts join the execution context
 * only in {@link #update}, in the chunk's transaction with the reader's cursor and the
 * difference records; the counts of {@link Checkpoint#COUNT_EXECUTION} are kept too
 * (read, and gone keys as filtered), so history shows a verify's progress as a copy's.
 */
public class DifferenceWriter implements ItemStreamWriter<VerdictBatch> {

	private final DifferenceLog log;

	private final ItemMonitor monitor;

	private final long runId;

	private final long jobExecutionId;

	private final long stepExecutionId;

	private final Integer database;

	private VerifyCounts committed = new VerifyCounts();

	private VerifyCounts pending = new VerifyCounts();

	private KeyCounts committedKeys = new KeyCounts();

	private KeyCounts pendingKeys = new KeyCounts();

	/**
	 * Creates the writer of a partition.
	 * @param log where differences are recorded
	 * @param monitor the run's live state
	 * @param runId the run (job instance)
	 * @param jobExecutionId the execution
	 * @param stepExecutionId the partition's step execution
	 * @param database the partition's database ({@link Checkpoint#DATABASE},
	 * {@code --all-databases}), {@code null} when the endpoints name it
	 */
	public DifferenceWriter(DifferenceLog log, ItemMonitor monitor, long runId, long jobExecutionId,
			long stepExecutionId, Integer database) {
		this.log = log;
		this.database = database;
		this.monitor = monitor;
		this.runId = runId;
		this.jobExecutionId = jobExecutionId;
		this.stepExecutionId = stepExecutionId;
	}

	@Override
	public void open(ExecutionContext context) {
		// counts are per execution: a restarted partition inherits the context of the
		// last one
		boolean ours = context.getLong(Checkpoint.COUNT_EXECUTION, -1) == this.stepExecutionId;
		this.committed = ours ? VerifyCounts.readFrom(context) : new VerifyCounts();
		this.committedKeys = ours ? KeyCounts.readFrom(context) : new KeyCounts();
		this.pending = new VerifyCounts();
		this.pendingKeys = new KeyCounts();
		update(context);
	}

	@Override
	public void write(Chunk<? extends VerdictBatch> chunk) {
		VerifyCounts counts = new VerifyCounts();
		KeyCounts keys = new KeyCounts();
		List<KeyVerdict> differences = new ArrayList<>();
		for (VerdictBatch batch : chunk) {
			counts.addRead(batch.verdicts().size());
			keys.addRead(batch.verdicts().size());
			for (KeyVerdict verdict : batch.verdicts()) {
				counts.add(verdict);
				if (verdict.outcome() == KeyVerdict.Outcome.GONE) {
					keys.addFiltered(1);
				}
				if (verdict.isDifferent()) {
					differences.add(verdict);
				}
			}
		}
		this.log.record(this.runId, this.jobExecutionId, this.database, 1, differences);
		this.pending = counts;
		this.pendingKeys = keys;
		this.monitor.chunkWritten(keys);
	}

	@Override
	public void update(ExecutionContext context) {
		this.committed.add(this.pending);
		this.committedKeys.add(this.pendingKeys);
		this.pending = new VerifyCounts();
		this.pendingKeys = new KeyCounts();
		context.putLong(Checkpoint.COUNT_EXECUTION, this.stepExecutionId);
		this.committed.writeTo(context);
		this.committedKeys.writeTo(context);
	}

	@Override
	public void close() {
	}

}
