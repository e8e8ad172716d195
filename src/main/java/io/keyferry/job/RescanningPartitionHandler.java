package io.keyferry.job;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.keyferry.KeyferryException;
import io.keyferry.job.item.ServerIdentities;
import io.keyferry.redis.Backoff;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.partition.PartitionHandler;
import org.springframework.batch.core.partition.StepExecutionSplitter;
import org.springframework.batch.core.step.StepExecution;

/**
 * Runs the partitions, then refuses to call the copy complete while any partition's work
 * belongs to a server process that is gone (DESIGN invariants 4 and 10). A partition that
 * finished before the source restarted or failed over scanned a slice of the old
 * process's cursor space, which holds other keys in the new one; one that finished before
 * the target lost its data wrote keys that may be gone. Each partition checks the
 * processes before its own checkpoints, but a finished one no longer runs: so when every
 * partition has completed, the processes are read once more and the partitions are run
 * again in the same execution — those still valid return at once, the others are scanned
 * again from their start — until all agree with the processes of the moment, at most
 * {@link #MAX_PASSES} times. Not thread-safe: one handle at a time.
 */
class RescanningPartitionHandler implements PartitionHandler {

	/** Passes over the partitions before an execution gives up on unstable servers. */
	static final int MAX_PASSES = 5;

	private final PartitionHandler delegate;

	private final ServerIdentities identities;

	private final Backoff backoff;

	private final RunMonitor monitor;

	RescanningPartitionHandler(PartitionHandler delegate, ServerIdentities identities, Backoff backoff,
			RunMonitor monitor) {
		this.delegate = delegate;
		this.identities = identities;
		this.backoff = backoff;
		this.monitor = monitor;
	}

	@Override
	public Collection<StepExecution> handle(StepExecutionSplitter splitter, StepExecution managerStepExecution)
			throws Exception {
		List<StepExecution> all = new ArrayList<>();
		for (int pass = 1;; pass++) {
			Collection<StepExecution> partitions = this.delegate.handle(splitter, managerStepExecution);
			all.addAll(partitions);
			if (this.monitor.isStopRequested()
					|| partitions.stream().anyMatch((p) -> p.getStatus() != BatchStatus.COMPLETED)) {
				return all;
			}
			ServerIdentities.Ids now = this.identities.current(this.backoff, this.monitor::isStopRequested);
			Set<String> reasons = new LinkedHashSet<>();
			List<String> again = new ArrayList<>();
			for (StepExecution partition : partitions) {
				String reason = this.identities.unfinished(partition.getExecutionContext(), now);
				if (reason != null) {
					reasons.add(reason);
					again.add(partitionName(partition));
				}
			}
			if (again.isEmpty()) {
				return all;
			}
			if (pass == MAX_PASSES) {
				throw new KeyferryException(
						"the copy could not finish: after " + MAX_PASSES + " passes, partitions " + again
								+ " still have work from server processes that are gone (" + String.join("; ", reasons)
								+ ")",
						"a server keeps restarting or failing over; the run is resumable: run the same command again "
								+ "once it is stable");
			}
			this.monitor.warn(String.join("; ", reasons) + ": partitions " + again
					+ " are copied again before the run completes (pass " + (pass + 1) + ")");
		}
	}

	private static String partitionName(StepExecution partition) {
		String name = partition.getStepName();
		return name.substring(name.indexOf(':') + 1);
	}

}
