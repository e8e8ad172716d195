package io.keyferry.job;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.keyferry.KeyferryException;
import io.keyferry.job.item.ServerIdentities;
import io.keyferry.redis.Backoff;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.partition.PartitionHandler;
import org.springframework.batch.core.partition.StepExecutionSplitter;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * Runs the partitions, then refuses to call the copy complete while any part of the
 * source is not covered by a partition that finished in the server processes of the
 * moment (DESIGN invariants 4 and 10). A partition that finished before the source
 * restarted or failed over scanned a slice of the old process's cursor space, which holds
 * other keys in the new one; one that finished before the target lost its data wrote keys
 * that may be gone; on a cluster, slots that moved belong to other masters' partitions
 * now. Each partition checks its processes before its own checkpoints and stops when they
 * changed, but a finished one no longer runs: so when every partition of a pass has
 * completed, the layout and the processes are read once more, and the partitions are run
 * again in the same execution — those still valid return at once, the others are scanned
 * again from their start — until all agree with the source and target of the moment, at
 * most {@link #MAX_PASSES} times. Not thread-safe: one handle at a time.
 */
class RescanningPartitionHandler implements PartitionHandler {

	/** Passes over the partitions before an execution gives up on unstable servers. */
	static final int MAX_PASSES = 10;

	private final PartitionHandler delegate;

	private final SourceLayout layout;

	private final Backoff backoff;

	private final RunMonitor monitor;

	RescanningPartitionHandler(PartitionHandler delegate, SourceLayout layout, Backoff backoff, RunMonitor monitor) {
		this.delegate = delegate;
		this.layout = layout;
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
			Set<String> reasons = new LinkedHashSet<>();
			Set<String> again = new TreeSet<>();
			this.layout.awaitStable(this.monitor);
			Map<String, ExecutionContext> now = this.layout.partition(0);
			Set<String> ran = new TreeSet<>();
			for (StepExecution partition : partitions) {
				String name = partitionName(partition);
				ran.add(name);
				if (!now.containsKey(name)) {
					continue;
				}
				ServerIdentities identities = this.layout.identities(partition.getExecutionContext());
				ServerIdentities.Ids ids = identities.current(this.backoff, this.monitor::isStopRequested);
				String reason = identities.unfinished(partition.getExecutionContext(), ids);
				if (reason != null) {
					reasons.add(reason);
					again.add(name);
				}
			}
			Set<String> added = new TreeSet<>(now.keySet());
			added.removeAll(ran);
			if (!added.isEmpty()) {
				// on a standalone source only --all-databases adds partitions: for a
				// database that held no keys when the pass began
				reasons.add(this.layout.isCluster() ? "slots of the source cluster moved to other masters"
						: "databases of the source that had no keys now have some");
				again.addAll(added);
			}
			if (again.isEmpty()) {
				return all;
			}
			if (pass == MAX_PASSES) {
				throw new KeyferryException(
						"the copy could not finish: after " + MAX_PASSES + " passes, partitions " + again
								+ " still have work from server processes that are gone or slots that moved ("
								+ String.join("; ", reasons) + ")",
						"a server keeps restarting, failing over or resharding; the run is resumable: run the same "
								+ "command again once it is stable");
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
