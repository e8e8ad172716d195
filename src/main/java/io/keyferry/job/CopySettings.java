package io.keyferry.job;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.nio.file.Path;

import io.keyferry.redis.Backoff;
import io.keyferry.redis.ConflictPolicy;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.PrefixRenames;
import io.keyferry.redis.ReadFrom;
import io.keyferry.redis.TlsSettings;
import io.keyferry.redis.WriteMode;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;

/**
 * Everything a copy run needs, and its mapping to job parameters. The identifying
 * parameters (redacted source and target, filter, dry run, run number) decide which run
 * an execution belongs to; tuning options are not identifying, so a resumed run may
 * change them. Passwords never reach job parameters: only {@link Endpoint#redacted()}
 * forms do. Immutable.
 *
 * @param source the source endpoint (with credentials in memory only)
 * @param target the target endpoint
 * @param match the SCAN MATCH glob
 * @param type the SCAN TYPE or {@code null}
 * @param dryRun scan and dump, write nothing
 * @param run the run number among runs with the same source, target and filter
 * @param onConflict what to do with existing keys
 * @param scanCount the SCAN COUNT hint
 * @param chunkSize keys per committed chunk
 * @param threads concurrent DUMP batches
 * @param partitions slices of the cursor space scanned in parallel per source node
 * @param maxValueBytes larger payloads are skipped
 * @param chunkBytes payload bytes a chunk keeps in memory; larger values are written one
 * at a time
 * @param rateLimit keys per second, 0 for no limit
 * @param timeout command timeout
 * @param backoff retries of transient failures
 * @param readFrom which node of a cluster source each partition scans
 * @param functions copy the source's function libraries too ({@code --functions})
 * @param renames the {@code --rename-prefix} rules: which name each key is written under
 * @param allDatabases copy every database of a standalone source that holds keys, each to
 * the same database of the target ({@code --all-databases}); the endpoints then name
 * database 0
 * @param writeMode {@code --write-mode}: RESTORE, type by type, or type by type where
 * RESTORE cannot write a key
 * @param deleteMissing {@code --delete-missing}: after the copy, delete the target's keys
 * of the filter that the source no longer has
 */
public record CopySettings(Endpoint source, Endpoint target, String match, String type, boolean dryRun, long run,
		ConflictPolicy onConflict, int scanCount, int chunkSize, int threads, int partitions, long maxValueBytes,
		long chunkBytes, long rateLimit, Duration timeout, Backoff backoff, ReadFrom readFrom, boolean functions,
		PrefixRenames renames, boolean allDatabases, WriteMode writeMode, boolean deleteMissing) {

	/**
	 * The most memory a value may take in the source to be DUMPed whole: a DUMP reply is
	 * held whole in Netty's buffer and in a {@code byte[]}, by each of the concurrent
	 * batches of every partition.
	 */
	public static final long BIG_VALUE_BYTES = 8L * 1024 * 1024;

	public CopySettings {
		readFrom = (readFrom != null) ? readFrom : ReadFrom.MASTER;
		renames = (renames != null) ? renames : PrefixRenames.NONE;
		writeMode = (writeMode != null) ? writeMode : WriteMode.AUTO;
	}

	/**
	 * Settings that delete nothing.
	 */
	public CopySettings(Endpoint source, Endpoint target, String match, String type, boolean dryRun, long run,
			ConflictPolicy onConflict, int scanCount, int chunkSize, int threads, int partitions, long maxValueBytes,
			long chunkBytes, long rateLimit, Duration timeout, Backoff backoff, ReadFrom readFrom, boolean functions,
			PrefixRenames renames, boolean allDatabases, WriteMode writeMode) {
		this(source, target, match, type, dryRun, run, onConflict, scanCount, chunkSize, threads, partitions,
				maxValueBytes, chunkBytes, rateLimit, timeout, backoff, readFrom, functions, renames, allDatabases,
				writeMode, false);
	}

	/**
	 * Settings that copy the databases the endpoints name, with a write mode.
	 */
	public CopySettings(Endpoint source, Endpoint target, String match, String type, boolean dryRun, long run,
			ConflictPolicy onConflict, int scanCount, int chunkSize, int threads, int partitions, long maxValueBytes,
			long chunkBytes, long rateLimit, Duration timeout, Backoff backoff, ReadFrom readFrom, boolean functions,
			PrefixRenames renames, WriteMode writeMode) {
		this(source, target, match, type, dryRun, run, onConflict, scanCount, chunkSize, threads, partitions,
				maxValueBytes, chunkBytes, rateLimit, timeout, backoff, readFrom, functions, renames, false, writeMode);
	}

	/**
	 * Settings with the default write mode ({@link WriteMode#AUTO}).
	 */
	public CopySettings(Endpoint source, Endpoint target, String match, String type, boolean dryRun, long run,
			ConflictPolicy onConflict, int scanCount, int chunkSize, int threads, int partitions, long maxValueBytes,
			long chunkBytes, long rateLimit, Duration timeout, Backoff backoff, ReadFrom readFrom, boolean functions,
			PrefixRenames renames, boolean allDatabases) {
		this(source, target, match, type, dryRun, run, onConflict, scanCount, chunkSize, threads, partitions,
				maxValueBytes, chunkBytes, rateLimit, timeout, backoff, readFrom, functions, renames, allDatabases,
				WriteMode.AUTO);
	}

	/**
	 * Settings that copy the databases the endpoints name.
	 */
	public CopySettings(Endpoint source, Endpoint target, String match, String type, boolean dryRun, long run,
			ConflictPolicy onConflict, int scanCount, int chunkSize, int threads, int partitions, long maxValueBytes,
			long chunkBytes, long rateLimit, Duration timeout, Backoff backoff, ReadFrom readFrom, boolean functions,
			PrefixRenames renames) {
		this(source, target, match, type, dryRun, run, onConflict, scanCount, chunkSize, threads, partitions,
				maxValueBytes, chunkBytes, rateLimit, timeout, backoff, readFrom, functions, renames, false,
				WriteMode.AUTO);
	}

	/**
	 * Settings that write every key under its own name.
	 */
	public CopySettings(Endpoint source, Endpoint target, String match, String type, boolean dryRun, long run,
			ConflictPolicy onConflict, int scanCount, int chunkSize, int threads, int partitions, long maxValueBytes,
			long chunkBytes, long rateLimit, Duration timeout, Backoff backoff, ReadFrom readFrom, boolean functions) {
		this(source, target, match, type, dryRun, run, onConflict, scanCount, chunkSize, threads, partitions,
				maxValueBytes, chunkBytes, rateLimit, timeout, backoff, readFrom, functions, PrefixRenames.NONE);
	}

	/**
	 * Settings without function libraries.
	 */
	public CopySettings(Endpoint source, Endpoint target, String match, String type, boolean dryRun, long run,
			ConflictPolicy onConflict, int scanCount, int chunkSize, int threads, int partitions, long maxValueBytes,
			long chunkBytes, long rateLimit, Duration timeout, Backoff backoff, ReadFrom readFrom) {
		this(source, target, match, type, dryRun, run, onConflict, scanCount, chunkSize, threads, partitions,
				maxValueBytes, chunkBytes, rateLimit, timeout, backoff, readFrom, false);
	}

	/**
	 * Settings that read from the masters of a cluster source.
	 */
	public CopySettings(Endpoint source, Endpoint target, String match, String type, boolean dryRun, long run,
			ConflictPolicy onConflict, int scanCount, int chunkSize, int threads, int partitions, long maxValueBytes,
			long chunkBytes, long rateLimit, Duration timeout, Backoff backoff) {
		this(source, target, match, type, dryRun, run, onConflict, scanCount, chunkSize, threads, partitions,
				maxValueBytes, chunkBytes, rateLimit, timeout, backoff, ReadFrom.MASTER);
	}

	/** Payload bytes a chunk keeps in memory by default. */
	public static final long DEFAULT_CHUNK_BYTES = 64L * 1024 * 1024;

	/** Payloads larger than this are skipped by default ({@code --max-value-bytes}). */
	public static final long DEFAULT_MAX_VALUE_BYTES = 512L * 1024 * 1024;

	/**
	 * The key that identifies "the same copy" across runs: source, target, filter, dry
	 * run and the rename rules (only when there are any, so that runs without them keep
	 * the key they had before the option existed).
	 * @return a hex digest
	 */
	public String copyKey() {
		String identity = String.join("\n", this.source.redacted(), this.target.redacted(), this.match,
				(this.type != null) ? this.type : "", Boolean.toString(this.dryRun));
		if (!this.renames.isEmpty()) {
			identity = identity + "\nrename-prefix\n" + this.renames.toParameter();
		}
		if (this.allDatabases) {
			identity = identity + "\nall-databases";
		}
		try {
			byte[] digest = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
			return HexFormat.of().formatHex(digest, 0, 16);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Keys per DUMP batch, one batch per processing task.
	 * @return the batch size
	 */
	public int batchSize() {
		return Math.max(1, (this.chunkSize + this.threads - 1) / this.threads);
	}

	/**
	 * Payload bytes one batch may keep until its chunk is written.
	 * @return the chunk's budget divided among its batches
	 */
	public long batchBytes() {
		return Math.max(1, this.chunkBytes / batchesPerChunk());
	}

	/**
	 * The memory above which a value is copied in pieces rather than DUMPed whole: a
	 * batch's byte budget, at most {@link #BIG_VALUE_BYTES}.
	 * @return bytes
	 */
	public long bigValueBytes() {
		return Math.min(BIG_VALUE_BYTES, batchBytes());
	}

	/**
	 * Batches per chunk.
	 * @return the number of items in a chunk
	 */
	public int batchesPerChunk() {
		int batch = batchSize();
		return Math.max(1, (this.chunkSize + batch - 1) / batch);
	}

	/**
	 * These settings copying every database or not, with a write mode.
	 * @param newAllDatabases {@code --all-databases}
	 * @param newWriteMode {@code --write-mode}
	 * @return the settings
	 */
	public CopySettings withModes(boolean newAllDatabases, WriteMode newWriteMode) {
		return new CopySettings(this.source, this.target, this.match, this.type, this.dryRun, this.run, this.onConflict,
				this.scanCount, this.chunkSize, this.threads, this.partitions, this.maxValueBytes, this.chunkBytes,
				this.rateLimit, this.timeout, this.backoff, this.readFrom, this.functions, this.renames,
				newAllDatabases, newWriteMode, this.deleteMissing);
	}

	/**
	 * These settings deleting, after the copy, the target's keys that the source no
	 * longer has, or not.
	 * @param newDeleteMissing {@code --delete-missing}
	 * @return the settings
	 */
	public CopySettings withDeleteMissing(boolean newDeleteMissing) {
		return new CopySettings(this.source, this.target, this.match, this.type, this.dryRun, this.run, this.onConflict,
				this.scanCount, this.chunkSize, this.threads, this.partitions, this.maxValueBytes, this.chunkBytes,
				this.rateLimit, this.timeout, this.backoff, this.readFrom, this.functions, this.renames,
				this.allDatabases, this.writeMode, newDeleteMissing);
	}

	public CopySettings withRun(long newRun) {
		return new CopySettings(this.source, this.target, this.match, this.type, this.dryRun, newRun, this.onConflict,
				this.scanCount, this.chunkSize, this.threads, this.partitions, this.maxValueBytes, this.chunkBytes,
				this.rateLimit, this.timeout, this.backoff, this.readFrom, this.functions, this.renames,
				this.allDatabases, this.writeMode, this.deleteMissing);
	}

	public CopySettings withPartitions(int newPartitions) {
		return new CopySettings(this.source, this.target, this.match, this.type, this.dryRun, this.run, this.onConflict,
				this.scanCount, this.chunkSize, this.threads, newPartitions, this.maxValueBytes, this.chunkBytes,
				this.rateLimit, this.timeout, this.backoff, this.readFrom, this.functions, this.renames,
				this.allDatabases, this.writeMode, this.deleteMissing);
	}

	public CopySettings withEndpoints(Endpoint newSource, Endpoint newTarget) {
		return new CopySettings(newSource, newTarget, this.match, this.type, this.dryRun, this.run, this.onConflict,
				this.scanCount, this.chunkSize, this.threads, this.partitions, this.maxValueBytes, this.chunkBytes,
				this.rateLimit, this.timeout, this.backoff, this.readFrom, this.functions, this.renames,
				this.allDatabases, this.writeMode, this.deleteMissing);
	}

	/**
	 * The job parameters of this run: no secrets.
	 * @return the parameters
	 */
	public JobParameters toJobParameters() {
		JobParametersBuilder parameters = new JobParametersBuilder();
		addTls(parameters, this.source);
		addTls(parameters, this.target);
		if (!this.renames.isEmpty()) {
			// identifying: another mapping is another run; absent without rules, so that
			// those runs keep their identity
			parameters.addString(JobNames.RENAME_PREFIX, this.renames.toParameter(), true);
		}
		if (this.allDatabases) {
			// identifying: every database is another copy than database 0 alone; absent
			// otherwise, so that those runs keep their identity
			parameters.addString(JobNames.ALL_DATABASES, "true", true);
		}
		if (this.deleteMissing) {
			// not identifying: the same copy, whether or not a run also deletes; absent
			// otherwise, as in runs older than the option
			parameters.addString(JobNames.DELETE_MISSING, "true", false);
		}
		return parameters.addString(JobNames.SOURCE, this.source.redacted(), true)
			.addString(JobNames.TARGET, this.target.redacted(), true)
			.addString(JobNames.MATCH, this.match, true)
			.addString(JobNames.TYPE, (this.type != null) ? this.type : "", true)
			.addString(JobNames.DRY_RUN, Boolean.toString(this.dryRun), true)
			.addLong(JobNames.RUN, this.run, true)
			.addString(JobNames.COPY_KEY, copyKey(), false)
			.addString(JobNames.ON_CONFLICT, this.onConflict.id(), false)
			.addLong(JobNames.SCAN_COUNT, (long) this.scanCount, false)
			.addString(JobNames.READ_FROM, this.readFrom.id(), false)
			.addString(JobNames.FUNCTIONS, Boolean.toString(this.functions), false)
			.addString(JobNames.WRITE_MODE, this.writeMode.id(), false)
			.addLong(JobNames.CHUNK_SIZE, (long) this.chunkSize, false)
			.addLong(JobNames.THREADS, (long) this.threads, false)
			.addLong(JobNames.PARTITIONS, (long) this.partitions, false)
			.addLong(JobNames.MAX_VALUE_BYTES, this.maxValueBytes, false)
			.addLong(JobNames.CHUNK_BYTES, this.chunkBytes, false)
			.addLong(JobNames.RATE_LIMIT, this.rateLimit, false)
			.addLong(JobNames.TIMEOUT_MS, this.timeout.toMillis(), false)
			.addLong(JobNames.RETRIES, (long) this.backoff.retries(), false)
			.addLong(JobNames.RETRY_BACKOFF_MS, this.backoff.initial().toMillis(), false)
			.toJobParameters();
	}

	private static void addTls(JobParametersBuilder builder, Endpoint endpoint) {
		TlsSettings tls = endpoint.tlsSettings();
		String role = endpoint.role();
		if (tls.caCert() != null) {
			builder.addString(JobNames.tls(role, "cacert"), tls.caCert().toString(), false);
		}
		if (tls.cert() != null) {
			builder.addString(JobNames.tls(role, "cert"), tls.cert().toString(), false);
		}
		if (tls.key() != null) {
			builder.addString(JobNames.tls(role, "key"), tls.key().toString(), false);
		}
		if (tls.insecure()) {
			builder.addString(JobNames.tls(role, "insecure"), "true", false);
		}
		if (tls.sni() != null) {
			builder.addString(JobNames.tls(role, "sni"), tls.sni(), false);
		}
	}

	private static Endpoint withStoredTls(Endpoint endpoint, JobParameters parameters) {
		String role = endpoint.role();
		String caCert = parameters.getString(JobNames.tls(role, "cacert"), null);
		String cert = parameters.getString(JobNames.tls(role, "cert"), null);
		String key = parameters.getString(JobNames.tls(role, "key"), null);
		TlsSettings tls = TlsSettings.of((caCert != null) ? Path.of(caCert) : null,
				(cert != null) ? Path.of(cert) : null, (key != null) ? Path.of(key) : null,
				Boolean.parseBoolean(parameters.getString(JobNames.tls(role, "insecure"), "false")),
				parameters.getString(JobNames.tls(role, "sni"), null));
		return tls.isCustomized() ? endpoint.withTls(tls) : endpoint;
	}

	/**
	 * Reads the settings of a stored run; the endpoints carry no password.
	 * @param parameters the stored parameters
	 * @return the settings
	 */
	public static CopySettings fromJobParameters(JobParameters parameters) {
		String type = parameters.getString(JobNames.TYPE, "");
		return new CopySettings(
				withStoredTls(Endpoint.parse("source", parameters.getString(JobNames.SOURCE)), parameters),
				withStoredTls(Endpoint.parse("target", parameters.getString(JobNames.TARGET)), parameters),
				parameters.getString(JobNames.MATCH), type.isEmpty() ? null : type,
				Boolean.parseBoolean(parameters.getString(JobNames.DRY_RUN)), parameters.getLong(JobNames.RUN),
				ConflictPolicy.of(parameters.getString(JobNames.ON_CONFLICT)),
				parameters.getLong(JobNames.SCAN_COUNT).intValue(), parameters.getLong(JobNames.CHUNK_SIZE).intValue(),
				parameters.getLong(JobNames.THREADS).intValue(), parameters.getLong(JobNames.PARTITIONS, 1L).intValue(),
				parameters.getLong(JobNames.MAX_VALUE_BYTES),
				parameters.getLong(JobNames.CHUNK_BYTES, DEFAULT_CHUNK_BYTES), parameters.getLong(JobNames.RATE_LIMIT),
				Duration.ofMillis(parameters.getLong(JobNames.TIMEOUT_MS)),
				new Backoff(parameters.getLong(JobNames.RETRIES).intValue(),
						Duration.ofMillis(parameters.getLong(JobNames.RETRY_BACKOFF_MS)), Backoff.DEFAULT.max()),
				ReadFrom.of(parameters.getString(JobNames.READ_FROM, ReadFrom.MASTER.id())),
				Boolean.parseBoolean(parameters.getString(JobNames.FUNCTIONS, "false")),
				PrefixRenames.fromParameter(parameters.getString(JobNames.RENAME_PREFIX, "")),
				Boolean.parseBoolean(parameters.getString(JobNames.ALL_DATABASES, "false")),
				WriteMode.of(parameters.getString(JobNames.WRITE_MODE, WriteMode.AUTO.id())),
				// absent in runs older than the option: they deleted nothing
				Boolean.parseBoolean(parameters.getString(JobNames.DELETE_MISSING, "false")));
	}

}
