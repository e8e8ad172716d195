package io.keyferry.job.item;

import java.util.ArrayList;
import java.util.List;

import io.keyferry.redis.RestoreResult;
import io.keyferry.redis.Restorer;
import org.springframework.batch.infrastructure.item.Chunk;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.item.ItemStreamWriter;

/**
 * Writes a chunk with pipelined RESTOREs, records each skipped key in the job repository
 * and keeps the partition's key counts. Not thread-safe (Batch 6 writes on the step
 * thread). Restartable: the counts of a chunk become part of the execution context only
 * in {@link #update}, which Batch calls after the chunk is written, inside the chunk's
 * transaction, together with the reader's cursor; the skip records join the same
 * transaction. A chunk that fails therefore leaves neither counts nor skip records
 * behind.
 */
public class RestoreWriter implements ItemStreamWriter<DumpBatch> {

	private final Restorer restorer;

	private final SkipLog skippedKeys;

	private final ItemMonitor monitor;

	private final long jobExecutionId;

	private final long stepExecutionId;

	private KeyCounts committed = new KeyCounts();

	private KeyCounts pending = new KeyCounts();

	public RestoreWriter(Restorer restorer, SkipLog skippedKeys, ItemMonitor monitor, long jobExecutionId,
			long stepExecutionId) {
		this.restorer = restorer;
		this.skippedKeys = skippedKeys;
		this.monitor = monitor;
		this.jobExecutionId = jobExecutionId;
		this.stepExecutionId = stepExecutionId;
	}

	@Override
	public void open(ExecutionContext context) {
		// counts are per execution: a restarted partition inherits the context of the
		// last one
		boolean ours = context.getLong(Checkpoint.COUNT_EXECUTION, -1) == this.stepExecutionId;
		this.committed = ours ? KeyCounts.readFrom(context) : new KeyCounts();
		this.pending = new KeyCounts();
		context.putLong(Checkpoint.COUNT_EXECUTION, this.stepExecutionId);
		this.committed.writeTo(context);
	}

	@Override
	public void write(Chunk<? extends DumpBatch> chunk) {
		KeyCounts counts = new KeyCounts();
		List<RestoreResult> skips = new ArrayList<>();
		for (DumpBatch batch : chunk) {
			counts.addRead(batch.dumps().size());
			for (RestoreResult result : this.restorer.restore(batch.dumps())) {
				counts.add(result);
				if (result.outcome() == RestoreResult.Outcome.SKIPPED) {
					skips.add(result);
				}
			}
		}
		this.skippedKeys.record(this.jobExecutionId, this.stepExecutionId, skips);
		this.pending = counts;
		this.monitor.chunkWritten(counts);
	}

	@Override
	public void update(ExecutionContext context) {
		this.committed.add(this.pending);
		this.pending = new KeyCounts();
		context.putLong(Checkpoint.COUNT_EXECUTION, this.stepExecutionId);
		this.committed.writeTo(context);
	}

	@Override
	public void close() {
	}

}
