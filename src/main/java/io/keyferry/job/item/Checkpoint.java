package io.keyferry.job.item;

/**
 * The keys of a partition's checkpoint (its step execution context): where its scan is,
 * which server processes its work belongs to, and its counts.
 */
public final class Checkpoint {

	/** The source node this partition scans (host:port). */
	public static final String NODE = "scan.node";

	/**
	 * The slots of a cluster source this partition stands for (e.g. {@code 0-5460});
	 * absent for a standalone source.
	 */
	public static final String SLOTS = "scan.slots";

	/**
	 * The database this partition copies, selected on the source and the target alike
	 * ({@code --all-databases}); absent when the endpoints name it.
	 */
	public static final String DATABASE = "scan.database";

	/**
	 * The share of the source's keys this partition's database held when the partition
	 * was made, for progress ({@code --all-databases}; 1 otherwise).
	 */
	public static final String DATABASE_SHARE = "scan.database.share";

	public static final String RANGE_INDEX = "scan.range.index";

	public static final String RANGE_COUNT = "scan.range.count";

	/** The cursor of the SCAN page in progress (unsigned decimal). */
	public static final String CURSOR = "scan.cursor";

	/**
	 * For a run that counts each key once (verify): 64-bit hashes (hex, comma-separated)
	 * of the keys of the page at {@link #CURSOR} that were already handed out and
	 * committed; a resumed execution re-scans that page but leaves these keys out.
	 */
	public static final String PAGE_DONE = "scan.page.done";

	/** Whether every page of this partition has been written. */
	public static final String DONE = "scan.done";

	/** The source process the cursor belongs to ({@code run_id}). */
	public static final String RUN_ID = "scan.run-id";

	/**
	 * The target process that holds the keys this partition wrote since it last started
	 * from its first page ({@code run_id}).
	 */
	public static final String TARGET_RUN_ID = "scan.target-run-id";

	/** How far the scan is, 0 to 1. */
	public static final String FRACTION = "scan.fraction";

	/**
	 * Times this partition was scanned again from its start, in the step execution named
	 * by {@link #RESCANS_EXECUTION}, because the source or target process changed.
	 */
	public static final String RESCANS = "scan.rescans";

	/** The step execution the count {@link #RESCANS} belongs to. */
	public static final String RESCANS_EXECUTION = "scan.rescans.execution";

	/** The step execution the counts below belong to. */
	public static final String COUNT_EXECUTION = "count.execution";

	public static final String COUNT_READ = "count.read";

	public static final String COUNT_WRITTEN = "count.written";

	public static final String COUNT_FILTERED = "count.filtered";

	public static final String COUNT_BYTES = "count.bytes";

	/** Prefix of the per-reason skip counts, e.g. {@code count.skipped.exists}. */
	public static final String COUNT_SKIPPED = "count.skipped.";

	/**
	 * Prefix of the counts of keys written type by type, by reason (e.g.
	 * {@code count.fallback.older-target}).
	 */
	public static final String COUNT_FALLBACK = "count.fallback.";

	private Checkpoint() {
	}

}
