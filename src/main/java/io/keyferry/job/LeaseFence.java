package io.keyferry.job;

import io.keyferry.KeyferryException;
import java.util.function.BooleanSupplier;

import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.item.ItemStream;

/**
 * Commits a partition's chunk only while this process holds its copy's lease
 * (run.RunLease, whose confirm() it is given): {@link #update} runs in the chunk's
 * transaction and re-checks the lease there (a compare-and-set that also refreshes its
 * heartbeat), so a process whose lease another process took over (after it looked gone)
 * can commit no checkpoint of the run. Stateless and thread-safe; shared by the
 * partitions.
 */
public class LeaseFence implements ItemStream {

	private final BooleanSupplier lease;

	public LeaseFence(BooleanSupplier lease) {
		this.lease = lease;
	}

	@Override
	public void update(ExecutionContext executionContext) {
		if (!this.lease.getAsBoolean()) {
			throw new KeyferryException(
					"this process no longer holds the run: another process took it over after its heartbeat was missing",
					"nothing more was committed by this process; see keyferry history");
		}
		TestHalt.at("chunk-commit");
	}

}
