package io.keyferry.job.item;

import io.keyferry.redis.Backoff;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.KeyVerifier;
import io.keyferry.redis.RedisFailures;
import org.springframework.batch.infrastructure.item.ItemProcessor;

/**
 * Compares a batch of keys with the target ({@link KeyVerifier}). Thread-safe: Batch 6
 * runs it concurrently on the step's task executor. Never returns {@code null}: keys gone
 * since SCAN come back as such and are counted when the chunk is written.
 */
public class VerifyProcessor implements ItemProcessor<KeyBatch, VerdictBatch> {

	private final KeyVerifier verifier;

	private final Endpoint source;

	private final Backoff backoff;

	private final ItemMonitor monitor;

	public VerifyProcessor(KeyVerifier verifier, Endpoint source, Backoff backoff, ItemMonitor monitor) {
		this.verifier = verifier;
		this.source = source;
		this.backoff = backoff;
		this.monitor = monitor;
	}

	@Override
	public VerdictBatch process(KeyBatch batch) {
		return new VerdictBatch(this.backoff.call(() -> this.verifier.verify(batch.keys()),
				this.monitor::isStopRequested, (failure) -> RedisFailures.describe("source", this.source, failure)));
	}

}
