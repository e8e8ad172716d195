package io.keyferry.job.item;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import io.keyferry.redis.Backoff;
import io.keyferry.redis.ClusterSource;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.RedisFailures;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * The server processes a partition's checkpoint belongs to, and the rule that decides
 * when it can no longer be trusted (DESIGN invariants 4 and 10). A SCAN cursor, and every
 * slice of the cursor space, only means something in the source process that issued it:
 * Redis seeds its hash function per process. Keys written to a target process are only
 * known to be there while that process lives: a target restarted without persistence, or
 * failed over to a replica that missed writes, may have lost them. Each is identified by
 * its {@code run_id}; when either differs from the one a checkpoint was saved with, the
 * partition is copied again from the start of its slice. Thread-safe if its suppliers
 * are.
 */
public final class ServerIdentities {

	private final Endpoint source;

	private final Endpoint target;

	private final Supplier<String> sourceRunId;

	private final Supplier<String> targetRunId;

	private final boolean targetWritten;

	/**
	 * Creates the rule for one run.
	 * @param source the source (for messages)
	 * @param target the target (for messages)
	 * @param sourceRunId reads the source's run_id now
	 * @param targetRunId reads the target's run_id now
	 * @param targetWritten whether the run writes to the target (not a dry run); when
	 * not, the target's process does not matter
	 */
	public ServerIdentities(Endpoint source, Endpoint target, Supplier<String> sourceRunId,
			Supplier<String> targetRunId, boolean targetWritten) {
		this.source = source;
		this.target = target;
		this.sourceRunId = sourceRunId;
		this.targetRunId = targetRunId;
		this.targetWritten = targetWritten;
	}

	/**
	 * The processes of both servers now.
	 *
	 * @param source the source's run_id
	 * @param target the target's run_id
	 */
	public record Ids(String source, String target) {

		/**
		 * The processes a checkpoint was saved with.
		 * @param context a partition's execution context
		 * @return the ids, {@code null} where the checkpoint has none
		 */
		public static Ids savedIn(ExecutionContext context) {
			return new Ids(context.getString(Checkpoint.RUN_ID, null),
					context.getString(Checkpoint.TARGET_RUN_ID, null));
		}

		/**
		 * Saves these ids in a partition's checkpoint.
		 * @param context the execution context
		 */
		public void saveIn(ExecutionContext context) {
			context.putString(Checkpoint.RUN_ID, this.source);
			context.putString(Checkpoint.TARGET_RUN_ID, this.target);
		}

	}

	/**
	 * Reads both servers' process identities now, retrying transient failures.
	 * @param backoff the retries
	 * @param stopping whether a stop was requested (ends the retries)
	 * @return the ids
	 */
	public Ids current(Backoff backoff, BooleanSupplier stopping) {
		String sourceId = backoff.call(this.sourceRunId, stopping,
				(failure) -> RedisFailures.describe("source", this.source, failure));
		String targetId = backoff.call(this.targetRunId, stopping,
				(failure) -> RedisFailures.describe("target", this.target, failure));
		return new Ids(sourceId, targetId);
	}

	/**
	 * Why work done under {@code saved} cannot be trusted under {@code now}.
	 * @param saved the processes the work was done with ({@code null} ids, from
	 * checkpoints written before keyferry recorded them, are taken as unchanged)
	 * @param now the processes now
	 * @return the reason, or {@code null} when both are the same processes
	 */
	public String changed(Ids saved, Ids now) {
		boolean sourceChanged = saved.source() != null && !saved.source().equals(now.source());
		boolean targetChanged = this.targetWritten && saved.target() != null && !saved.target().equals(now.target());
		if (sourceChanged && now.source().startsWith(ClusterSource.UNSTABLE)) {
			return "source " + now.source().substring(ClusterSource.UNSTABLE.length());
		}
		if (sourceChanged && saved.source().startsWith(ClusterSource.UNSTABLE)) {
			return "source node " + this.source.address() + " serves the partition's slots again (it had stopped: "
					+ saved.source().substring(ClusterSource.UNSTABLE.length()) + ")";
		}
		if (sourceChanged && now.source().contains("@")) {
			// a cluster node: nodeId@runId
			return "source node " + this.source.address() + " is not the process the checkpoint was made with "
					+ "(failed over or restarted: node@run_id was " + saved.source() + ", now " + now.source()
					+ "); its SCAN cursors are not valid in the new process";
		}
		if (sourceChanged && targetChanged) {
			return "source " + this.source.redacted() + " and target " + this.target.redacted()
					+ " are new server processes since the checkpoint (run_id changed: restarted or failed over)";
		}
		if (sourceChanged) {
			return "source " + this.source.redacted() + " is a new server process since the checkpoint (run_id "
					+ "changed: " + howChanged(this.source) + "); its SCAN cursors are not valid in the new process";
		}
		if (targetChanged && now.target().contains("@")) {
			// a cluster: every master's nodeId@runId
			return "target cluster " + this.target.redacted() + " has other master processes since the checkpoint "
					+ "(a master failed over, restarted, joined or left: masters were " + saved.target() + ", now "
					+ now.target() + "); keys written to a master that is gone may be lost, so they are copied again";
		}
		if (targetChanged) {
			return "target " + this.target.redacted() + " is a new server process since the checkpoint (run_id "
					+ "changed: " + howChanged(this.target) + "); keys written to the old process may be lost, so "
					+ "they are copied again";
		}
		return null;
	}

	private static String howChanged(Endpoint endpoint) {
		return endpoint.isSentinel() ? "the Sentinels' master " + endpoint.sentinel().master()
				+ " was restarted or failed over to another server" : "restarted or failed over";
	}

	/**
	 * Why a partition whose step completed still has to be copied (again): it did not
	 * reach the end of its slice, or it did under processes that are gone now.
	 * @param context the partition's execution context
	 * @param now the processes now
	 * @return the reason, or {@code null} when the partition is done
	 */
	public String unfinished(ExecutionContext context, Ids now) {
		String changed = changed(Ids.savedIn(context), now);
		if (changed != null) {
			return changed;
		}
		if (!Boolean.parseBoolean(context.getString(Checkpoint.DONE, "false"))) {
			return "its slice was not scanned to the end";
		}
		return null;
	}

}
