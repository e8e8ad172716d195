package io.keyferry.job.item;

import java.util.ArrayList;
import java.util.List;

import io.keyferry.redis.Backoff;
import io.keyferry.redis.DumpFetcher;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.KeyDump;
import io.keyferry.redis.RedisFailures;
import org.springframework.batch.infrastructure.item.ItemProcessor;

/**
 * Fetches DUMP and PTTL of a batch of keys in one pipelined round trip. Thread-safe:
 * Batch 6 runs it concurrently on the step's task executor, all threads sharing one
 * source connection. Never returns {@code null}: keys gone since SCAN stay in the batch
 * and are counted as filtered when the chunk is written.
 */
public class DumpProcessor implements ItemProcessor<KeyBatch, DumpBatch> {

	private final DumpFetcher fetcher;

	private final Endpoint source;

	private final Backoff backoff;

	private final ItemMonitor monitor;

	private final long batchBytes;

	/**
	 * Creates the processor.
	 * @param fetcher reads the dumps
	 * @param source the source (for messages)
	 * @param backoff retries of transient failures
	 * @param monitor the run's live state
	 * @param batchBytes the payload bytes a batch may keep until its chunk is written:
	 * beyond it, payloads are released and the writer reads those keys again one at a
	 * time
	 */
	public DumpProcessor(DumpFetcher fetcher, Endpoint source, Backoff backoff, ItemMonitor monitor, long batchBytes) {
		this.fetcher = fetcher;
		this.source = source;
		this.backoff = backoff;
		this.monitor = monitor;
		this.batchBytes = batchBytes;
	}

	@Override
	public DumpBatch process(KeyBatch batch) {
		List<KeyDump> dumps = this.backoff.call(() -> this.fetcher.fetch(batch.keys()), this.monitor::isStopRequested,
				(failure) -> RedisFailures.describe("source", this.source, failure));
		return new DumpBatch(withinBudget(dumps, this.batchBytes));
	}

	/**
	 * Keeps payloads in read order while they fit the budget, and defers the others.
	 * @param dumps the batch's dumps
	 * @param budget the bytes the batch may keep
	 * @return the dumps to hand to the writer
	 */
	public static List<KeyDump> withinBudget(List<KeyDump> dumps, long budget) {
		long kept = 0;
		List<KeyDump> result = null;
		for (int i = 0; i < dumps.size(); i++) {
			KeyDump dump = dumps.get(i);
			if (kept + dump.size() <= budget) {
				kept += dump.size();
				continue;
			}
			if (result == null) {
				result = new ArrayList<>(dumps);
			}
			result.set(i, KeyDump.deferred(dump));
		}
		return (result != null) ? result : dumps;
	}

}
