package io.keyferry.job;

import io.keyferry.job.item.Checkpoint;

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

	public static final String CHUNK_SIZE = "chunk-size";

	public static final String THREADS = "threads";

	public static final String PARTITIONS = "partitions";

	public static final String MAX_VALUE_BYTES = "max-value-bytes";

	public static final String RATE_LIMIT = "rate-limit";

	public static final String CHUNK_BYTES = "chunk-bytes";

	public static final String TIMEOUT_MS = "timeout-ms";

	public static final String RETRIES = "retries";

	public static final String RETRY_BACKOFF_MS = "retry-backoff-ms";

	// partition step execution context (see Checkpoint)

	public static final String NODE = Checkpoint.NODE;

	public static final String SLOTS = Checkpoint.SLOTS;

	public static final String RANGE_INDEX = Checkpoint.RANGE_INDEX;

	public static final String RANGE_COUNT = Checkpoint.RANGE_COUNT;

	public static final String CURSOR = Checkpoint.CURSOR;

	public static final String DONE = Checkpoint.DONE;

	public static final String RUN_ID = Checkpoint.RUN_ID;

	public static final String TARGET_RUN_ID = Checkpoint.TARGET_RUN_ID;

	public static final String FRACTION = Checkpoint.FRACTION;

	public static final String RESCANS = Checkpoint.RESCANS;

	public static final String RESCANS_EXECUTION = Checkpoint.RESCANS_EXECUTION;

	public static final String COUNT_EXECUTION = Checkpoint.COUNT_EXECUTION;

	public static final String COUNT_READ = Checkpoint.COUNT_READ;

	public static final String COUNT_WRITTEN = Checkpoint.COUNT_WRITTEN;

	public static final String COUNT_FILTERED = Checkpoint.COUNT_FILTERED;

	public static final String COUNT_BYTES = Checkpoint.COUNT_BYTES;

	public static final String COUNT_SKIPPED = Checkpoint.COUNT_SKIPPED;

	private JobNames() {
	}

}
