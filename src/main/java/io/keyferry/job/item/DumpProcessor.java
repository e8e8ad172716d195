package io.keyferry.job.item;

import io.keyferry.job.RunMonitor;
import io.keyferry.redis.Backoff;
import io.keyferry.redis.DumpFetcher;
import io.keyferry.redis.Endpoint;
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

	private final RunMonitor monitor;

	public DumpProcessor(DumpFetcher fetcher, Endpoint source, Backoff backoff, RunMonitor monitor) {
		this.fetcher = fetcher;
		this.source = source;
		this.backoff = backoff;
		this.monitor = monitor;
	}

	@Override
	public DumpBatch process(KeyBatch batch) {
		return new DumpBatch(this.backoff.call(() -> this.fetcher.fetch(batch.keys()), this.monitor::isStopRequested,
				(failure) -> RedisFailures.describe("source", this.source, failure)));
	}

}
