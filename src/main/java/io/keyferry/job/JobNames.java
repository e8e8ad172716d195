package io.keyferry.job;

/**
 * The fixed names of keyferry's job repository entries: job and step names and job
 * parameters (a partition's checkpoint keys are in {@code job.item.Checkpoint},
 * keyferry's tables in {@code repository.RepositorySchema}).
 */
public final class JobNames {

	/** The copy job. */
	public static final String JOB = "copy";

	/** The partitioned step of the copy job. */
	public static final String STEP = "copy";

	/** The worker step run once per partition (source node and cursor slice). */
	public static final String PARTITION_STEP = "copy-partition";

	/** The verify job: compares a target with its source. */
	public static final String VERIFY_JOB = "verify";

	/** The partitioned step of the verify job (first pass over the source's keys). */
	public static final String VERIFY_STEP = "verify";

	/** The worker step of the verify job, run once per partition. */
	public static final String VERIFY_PARTITION_STEP = "verify-partition";

	/** The verify job's scan of the target for keys the source lacks. */
	public static final String VERIFY_EXTRA_STEP = "verify-extra";

	/** The verify job's later passes over the keys that differed. */
	public static final String VERIFY_RECHECK_STEP = "verify-recheck";

	/**
	 * The verify job's step that copies again the keys that still differ and compares
	 * them once more ({@code --fix}).
	 */
	public static final String VERIFY_FIX_STEP = "verify-fix";

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

	/** Whether the run copies the source's function libraries. */
	public static final String FUNCTIONS = "functions";

	/**
	 * The {@code --rename-prefix} rules, one per line (identifying, present only when
	 * given).
	 */
	public static final String RENAME_PREFIX = "rename-prefix";

	/**
	 * Whether the run copies every database of its source (identifying, present only when
	 * set).
	 */
	public static final String ALL_DATABASES = "all-databases";

	/** {@code --write-mode}: restore, types or auto (not identifying). */
	public static final String WRITE_MODE = "write-mode";

	public static final String CHUNK_SIZE = "chunk-size";

	public static final String THREADS = "threads";

	public static final String PARTITIONS = "partitions";

	public static final String MAX_VALUE_BYTES = "max-value-bytes";

	public static final String RATE_LIMIT = "rate-limit";

	public static final String CHUNK_BYTES = "chunk-bytes";

	public static final String TIMEOUT_MS = "timeout-ms";

	public static final String RETRIES = "retries";

	public static final String RETRY_BACKOFF_MS = "retry-backoff-ms";

	// the job execution's context

	/**
	 * The databases of the source, besides the one copied, that held keys when the
	 * execution started ({@code 3=120,15=7}); absent when there were none.
	 */
	public static final String OTHER_DATABASES = "source.other-databases";

	/**
	 * The copy's step that deletes, with {@code --delete-missing}, the target's keys of
	 * the filter that the source no longer has; it runs after the copy's scan.
	 */
	public static final String DELETE_STEP = "copy-delete-missing";

	/**
	 * Whether the run deletes the target's keys of its filter that the source no longer
	 * has ({@code --delete-missing}; not identifying, absent in runs older than the
	 * option).
	 */
	public static final String DELETE_MISSING = "delete-missing";

	/**
	 * Keys the delete step removed in the execution named by {@link #DELETED_EXECUTION}.
	 */
	public static final String DELETED = "delete.deleted";

	/** The step execution whose keys {@link #DELETED} counts. */
	public static final String DELETED_EXECUTION = "delete.count-execution";

	// verify job parameters (--extra is identifying, the others are not)

	/** Whether the target is scanned for keys the source lacks. */
	public static final String EXTRA = "extra";

	/** Whether the keys that still differ are copied again ({@code --fix}). */
	public static final String FIX = "fix";

	/** Whether extra keys are deleted from the target ({@code --delete-extra}). */
	public static final String DELETE_EXTRA = "delete-extra";

	public static final String TTL_TOLERANCE_MS = "ttl-tolerance-ms";

	public static final String PASSES = "passes";

	public static final String PASS_PAUSE_MS = "pass-pause-ms";

	/**
	 * Whether a step is a partition of a copy or a verify run.
	 * @param stepName the step's name
	 * @return true for a partition's step
	 */
	public static boolean isPartitionStep(String stepName) {
		return stepName.startsWith(PARTITION_STEP) || stepName.startsWith(VERIFY_PARTITION_STEP);
	}

	/**
	 * Whether a job is one of keyferry's (copy or verify).
	 * @param jobName the job's name
	 * @return true for copy and verify
	 */
	public static boolean isRunJob(String jobName) {
		return JOB.equals(jobName) || VERIFY_JOB.equals(jobName);
	}

	/**
	 * The job parameter of a side's TLS option.
	 * @param role "source" or "target"
	 * @param option cacert, cert, key, insecure or sni (file paths, a flag and a name,
	 * never key material; not identifying, so that a resumed run finds its files again)
	 * @return e.g. {@code source-cacert}
	 */
	public static String tls(String role, String option) {
		return role + "-" + option;
	}

	/**
	 * The job parameters that hold a flag ({@code "true"} or {@code "false"}, stored as
	 * strings): JSON output shows them as booleans.
	 * @param name a job parameter's name
	 * @return whether it is a flag
	 */
	public static boolean isFlag(String name) {
		return DRY_RUN.equals(name) || FUNCTIONS.equals(name) || ALL_DATABASES.equals(name) || EXTRA.equals(name)
				|| DELETE_MISSING.equals(name) || tls("source", "insecure").equals(name)
				|| tls("target", "insecure").equals(name);
	}

	private JobNames() {
	}

}
