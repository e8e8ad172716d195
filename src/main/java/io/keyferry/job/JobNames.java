package io.keyferry.job;

/**
 * The fixed names of keyferry's job repository entries: job and step names, job
 * parameters, execution-context keys and keyferry's own tables.
 */
public final class JobNames {

	/** The copy job. */
	public static final String JOB = "copy";

	/** The partitioned step of the copy job. */
	public static final String STEP = "copy";

	/** The worker step run once per partition (source node and cursor slice). */
	public static final String PARTITION_STEP = "copy-partition";

	// identifying job parameters

	public static final String SOURCE = "source";

	public static final String TARGET = "target";

	public static final String MATCH = "match";

	public static final String TYPE = "type";

	public static final String DRY_RUN = "dry-run";

	public static final String RUN = "run";

	// non-identifying job parameters

	public static final String COPY_KEY = "copy-key";

	public static final String ON_CONFLICT = "on-conflict";

	public static final String SCAN_COUNT = "scan-count";

	public static final String READ_FROM = "read-from";

	public static final String CHUNK_SIZE = "chunk-size";

	public static final String THREADS = "threads";

	public static final String PARTITIONS = "partitions";

	public static final String MAX_VALUE_BYTES = "max-value-bytes";

	public static final String RATE_LIMIT = "rate-limit";

	public static final String CHUNK_BYTES = "chunk-bytes";

	public static final String TIMEOUT_MS = "timeout-ms";

	public static final String RETRIES = "retries";

	public static final String RETRY_BACKOFF_MS = "retry-backoff-ms";

	// partition step execution context

	/** The source node this partition scans (host:port). */
	public static final String NODE = "scan.node";

	/**
	 * The slots of a cluster source this partition stands for (e.g. {@code 0-5460});
	 * absent for a standalone source.
	 */
	public static final String SLOTS = "scan.slots";

	public static final String RANGE_INDEX = "scan.range.index";

	public static final String RANGE_COUNT = "scan.range.count";

	/** The cursor of the SCAN page in progress (unsigned decimal). */
	public static final String CURSOR = "scan.cursor";

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

	// keyferry's tables

	public static final String SKIPPED_KEY_TABLE = "KEYFERRY_SKIPPED_KEY";

	public static final String OWNER_TABLE = "KEYFERRY_RUN_OWNER";

	/** The lease of each copy (copy key) that a process is starting or running. */
	public static final String LEASE_TABLE = "KEYFERRY_RUN_LEASE";

	private JobNames() {
	}

}
