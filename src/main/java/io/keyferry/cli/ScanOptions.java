package io.keyferry.cli;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import io.keyferry.KeyferryException;
import io.keyferry.job.CopySettings;
import io.keyferry.redis.Backoff;
import io.keyferry.redis.ConflictPolicy;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.PrefixRenames;
import io.keyferry.redis.ReadFrom;
import picocli.CommandLine.Option;

/**
 * Which keys {@code copy} and {@code verify} read and how: the filter, the rename rules,
 * and the scanning, parallelism and retry options.
 */
public class ScanOptions {

	static final Set<String> TYPES = Set.of("string", "list", "set", "zset", "hash", "stream");

	@Option(names = "--match", paramLabel = "GLOB", defaultValue = "*",
			description = "Only keys matching GLOB (SCAN MATCH).")
	String match;

	@Option(names = "--type", paramLabel = "TYPE",
			description = "Only keys of TYPE (SCAN TYPE): string, list, set, zset, hash or stream.")
	String type;

	@Option(names = "--rename-prefix", paramLabel = "FROM=TO",
			description = "Keys whose name starts with FROM are (written) under TO followed by the rest of the name (repeatable; the longest matching FROM wins). --match still matches the source's names. Part of the run's identity.")
	List<String> renamePrefixes;

	@Option(names = "--scan-count", paramLabel = "N", defaultValue = "1000", description = "SCAN COUNT hint.")
	int scanCount;

	@Option(names = "--read-from", paramLabel = "NODE", defaultValue = "master",
			description = "Which node of a Redis Cluster source each partition scans: master, or replica (a replica of the master serving its slots whose link is up, sent READONLY; the master when it has none). A replica may lag behind its master.")
	String readFrom;

	@Option(names = "--chunk-size", paramLabel = "N", defaultValue = "2000",
			description = "Keys per chunk: the cursor is committed after each chunk.")
	int chunkSize;

	@Option(names = "--threads", paramLabel = "N", defaultValue = "2",
			description = "Concurrent DUMP batches per chunk.")
	int threads;

	@Option(names = "--partitions", paramLabel = "N", defaultValue = "0",
			description = "Slices of the source's SCAN cursor space read in parallel, each with its own checkpoint (kept when a run is resumed). 0 = auto: 4 for a source of 100,000 keys or more, else 1.")
	int partitions;

	@Option(names = "--rate-limit", paramLabel = "KEYS/S", defaultValue = "0",
			description = "Read at most this many keys per second (0: no limit).")
	long rateLimit;

	@Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
			description = "Timeout of a Redis command batch.")
	Duration timeout;

	@Option(names = "--retries", paramLabel = "N", defaultValue = "5",
			description = "Retries of a transient failure (connection, timeout, OOM, READONLY) before the run fails.")
	int retries;

	@Option(names = "--retry-backoff", paramLabel = "DURATION", defaultValue = "200ms",
			converter = DurationConverter.class, description = "First retry delay; doubles up to 5s.")
	Duration retryBackoff;

	/**
	 * The settings of a run over these keys, checked (a usage error for bad input).
	 * @param command the command's name, for hints
	 * @param connection the endpoints
	 * @param policy the conflict policy
	 * @param dryRun whether nothing is written
	 * @param maxValueBytes larger payloads are skipped
	 * @param chunkBytes payload bytes a chunk keeps in memory
	 * @param functions whether function libraries are copied
	 * @return the settings
	 */
	CopySettings settings(String command, ConnectionOptions connection, ConflictPolicy policy, boolean dryRun,
			long maxValueBytes, long chunkBytes, boolean functions) {
		Endpoint[] endpoints = connection.endpoints();
		String normalizedType = (this.type != null) ? this.type.toLowerCase(java.util.Locale.ROOT) : null;
		if (normalizedType != null && !TYPES.contains(normalizedType)) {
			throw KeyferryException.usage("invalid --type '" + this.type + "'",
					"use one of string, list, set, zset, hash, stream");
		}
		ReadFrom from;
		try {
			from = ReadFrom.of(this.readFrom);
		}
		catch (IllegalArgumentException ex) {
			throw KeyferryException.usage("invalid --read-from '" + this.readFrom + "'", "use master or replica");
		}
		positive(command, "--scan-count", this.scanCount);
		positive(command, "--chunk-size", this.chunkSize);
		positive(command, "--threads", this.threads);
		if (this.partitions < 0) {
			throw KeyferryException.usage("--partitions must not be negative", "use 0 (auto) or more");
		}
		positive(command, "--max-value-bytes", maxValueBytes);
		positive(command, "--chunk-bytes", chunkBytes);
		if (this.rateLimit < 0 || this.retries < 0) {
			throw KeyferryException.usage("--rate-limit and --retries must not be negative", "use 0 or more");
		}
		if (this.timeout.isZero() || this.retryBackoff.isZero()) {
			throw KeyferryException.usage("--timeout and --retry-backoff must be longer than 0", "e.g. --timeout 10s");
		}
		if (this.match == null || this.match.isEmpty()) {
			throw KeyferryException.usage("--match must not be empty", "use '*' for every key");
		}
		return new CopySettings(endpoints[0], endpoints[1], this.match, normalizedType, dryRun, 0, policy,
				this.scanCount, this.chunkSize, this.threads, this.partitions, maxValueBytes, chunkBytes,
				this.rateLimit, this.timeout, new Backoff(this.retries, this.retryBackoff, Backoff.DEFAULT.max()), from,
				functions, renames());
	}

	private PrefixRenames renames() {
		try {
			return PrefixRenames.parse(this.renamePrefixes);
		}
		catch (IllegalArgumentException ex) {
			throw KeyferryException.usage("invalid --rename-prefix: " + ex.getMessage(),
					"use --rename-prefix FROM=TO with a non-empty FROM, e.g. --rename-prefix app:=v2:app: (repeatable)");
		}
	}

	static void positive(String command, String option, long value) {
		if (value < 1) {
			throw KeyferryException.usage(option + " must be at least 1, not " + value,
					"see 'keyferry " + command + " --help'");
		}
	}

}
