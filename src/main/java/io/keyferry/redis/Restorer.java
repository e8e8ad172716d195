package io.keyferry.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;

import io.keyferry.KeyferryException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandKeyword;
import io.lettuce.core.protocol.CommandType;

/**
 * Writes dumps to the target with pipelined RESTOREs and classifies every reply itself: a
 * per-key problem becomes a recorded skip, a transient failure is retried for the keys it
 * hit (with back-off, recomputing each TTL), anything else fails the batch. Not
 * thread-safe: one writer thread owns an instance; its connection may be shared.
 */
public final class Restorer {

	private static final ByteArrayCodec CODEC = ByteArrayCodec.INSTANCE;

	private final StatefulRedisConnection<byte[], byte[]> connection;

	private final Endpoint endpoint;

	private final Options options;

	private final BooleanSupplier stopping;

	private final java.util.function.Predicate<KeyDump> targetHoldsValue;

	private final java.util.function.Function<byte[], KeyDump> refetch;

	/**
	 * How to write.
	 *
	 * @param policy what to do with existing keys
	 * @param dryRun check, but write nothing
	 * @param maxValueBytes larger payloads are skipped as {@code too-large}
	 * @param targetRdbVersion the target's RDB version, or -1 when unknown
	 * @param backoff retries of transient failures
	 * @param timeout how long to wait for a batch's replies
	 * @param targetClockOffset the target's clock minus this machine's (see
	 * {@link ServerClock})
	 */
	public record Options(ConflictPolicy policy, boolean dryRun, long maxValueBytes, int targetRdbVersion,
			Backoff backoff, Duration timeout, long targetClockOffset) {
	}

	/**
	 * Creates a restorer.
	 * @param connection the target connection
	 * @param endpoint the target (for messages)
	 * @param options how to write
	 * @param stopping whether a stop was requested (abandons retries)
	 * @param targetHoldsValue whether the target already holds a key's source value (see
	 * {@link ValueComparison}); consulted when a RESTORE without REPLACE meets an
	 * existing key; it throws a {@link KeyferryException} naming the server that failed
	 * @param refetch reads one key again from the source, for keys deferred to keep a
	 * chunk within its byte budget
	 */
	public Restorer(StatefulRedisConnection<byte[], byte[]> connection, Endpoint endpoint, Options options,
			BooleanSupplier stopping, java.util.function.Predicate<KeyDump> targetHoldsValue,
			java.util.function.Function<byte[], KeyDump> refetch) {
		this.refetch = refetch;
		this.connection = connection;
		this.endpoint = endpoint;
		this.options = options;
		this.stopping = stopping;
		this.targetHoldsValue = targetHoldsValue;
	}

	/**
	 * The commands a restorer sends for each key (besides the comparison's, see
	 * {@link ValueComparison#targetCommands}).
	 * @param policy what to do with existing keys
	 * @param dryRun whether nothing is written
	 * @return the command names, lower case as ACL rules spell them
	 */
	public static List<String> commands(ConflictPolicy policy, boolean dryRun) {
		if (dryRun) {
			return List.of((policy == ConflictPolicy.REPLACE) ? "ping" : "exists");
		}
		return List.of("restore");
	}

	/**
	 * Writes the dumps of existing keys; gone keys come back filtered.
	 * @param dumps the dumps
	 * @return one result per dump, in order
	 */
	public List<RestoreResult> restore(List<KeyDump> dumps) {
		int n = dumps.size();
		RestoreResult[] results = new RestoreResult[n];
		List<Integer> pending = new ArrayList<>(n);
		for (int i = 0; i < n; i++) {
			KeyDump dump = dumps.get(i);
			if (dump.isDeferred()) {
				// a large value: read and written on its own, and not kept afterwards
				results[i] = restore(List.of(this.refetch.apply(dump.key()))).get(0).released();
			}
			else if (!dump.exists()) {
				results[i] = RestoreResult.filtered(dump);
			}
			else if (dump.size() > this.options.maxValueBytes()) {
				results[i] = RestoreResult.skipped(dump, SkipReason.TOO_LARGE, "payload of " + dump.size()
						+ " bytes exceeds --max-value-bytes " + this.options.maxValueBytes());
			}
			else {
				pending.add(i);
			}
		}
		Throwable lastFailure = null;
		for (int attempt = 1; !pending.isEmpty(); attempt++) {
			if (attempt > 1) {
				if (attempt > this.options.backoff().retries() + 1) {
					throw RedisFailures.describe("target", this.endpoint, lastFailure);
				}
				this.options.backoff().pause(attempt - 1, this.stopping);
			}
			lastFailure = attemptOnce(dumps, pending, results);
		}
		return Arrays.asList(results);
	}

	private Throwable attemptOnce(List<KeyDump> dumps, List<Integer> pending, RestoreResult[] results) {
		long targetOffset = this.options.targetClockOffset();
		long now = System.currentTimeMillis();
		List<Integer> sent = new ArrayList<>(pending.size());
		Pipeline batch = new Pipeline(pending.size());
		for (int i : pending) {
			KeyDump dump = dumps.get(i);
			long expiry = dump.restoreExpiry(now, targetOffset);
			if (expiry == KeyDump.EXPIRED) {
				results[i] = RestoreResult.filtered(dump);
				continue;
			}
			sent.add(i);
			add(batch, dump, expiry);
		}
		pending.clear();
		if (sent.isEmpty()) {
			return null;
		}
		try {
			batch.send(this.connection);
		}
		catch (RedisException ex) {
			pending.addAll(sent);
			return ex;
		}
		try {
			batch.await(System.nanoTime() + this.options.timeout().toNanos());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new Backoff.StopRequestedException();
		}
		List<Pipeline.Reply<?>> replies = batch.replies();
		Throwable failure = null;
		for (int k = 0; k < sent.size(); k++) {
			int i = sent.get(k);
			KeyDump dump = dumps.get(i);
			Object reply;
			try {
				reply = replies.get(k).get();
			}
			catch (RedisCommandExecutionException error) {
				RedisFailures.Kind kind = RedisFailures.classifyReply(String.valueOf(error.getMessage()));
				if (kind == RedisFailures.Kind.KEY) {
					results[i] = keyProblem(dump, String.valueOf(error.getMessage()));
					continue;
				}
				if (kind == RedisFailures.Kind.FATAL) {
					throw RedisFailures.describe("target", this.endpoint, error);
				}
				failure = error;
				pending.add(i);
				continue;
			}
			catch (RedisCommandTimeoutException ex) {
				failure = new RedisCommandTimeoutException("RESTORE timed out after " + this.options.timeout());
				pending.add(i);
				continue;
			}
			catch (RedisException ex) {
				failure = ex;
				pending.add(i);
				continue;
			}
			results[i] = checkReply(dump, reply);
		}
		return failure;
	}

	private void add(Pipeline batch, KeyDump dump, long expiry) {
		if (this.options.dryRun()) {
			// a dry run writes nothing; it only asks whether the key exists when that
			// matters
			if (this.options.policy() == ConflictPolicy.REPLACE) {
				batch.add(CommandType.PING, new StatusOutput<>(CODEC));
			}
			else {
				batch.add(CommandType.EXISTS, new IntegerOutput<>(CODEC), dump.key());
			}
			return;
		}
		boolean replace = this.options.policy() == ConflictPolicy.REPLACE;
		// a positive expiry is an absolute time in the target's clock
		boolean absolute = expiry > 0;
		Object[] args = new Object[3 + (replace ? 1 : 0) + (absolute ? 1 : 0)];
		args[0] = dump.key();
		args[1] = expiry;
		args[2] = dump.payload();
		int next = 3;
		if (replace) {
			args[next++] = CommandKeyword.REPLACE;
		}
		if (absolute) {
			args[next] = CommandKeyword.ABSTTL;
		}
		batch.add(CommandType.RESTORE, new StatusOutput<>(CODEC), args);
	}

	private RestoreResult checkReply(KeyDump dump, Object reply) {
		if (this.options.dryRun() && reply instanceof Long exists && exists > 0) {
			return keyProblem(dump, "BUSYKEY Target key name already exists.");
		}
		return RestoreResult.written(dump);
	}

	private RestoreResult keyProblem(KeyDump dump, String reply) {
		String code = RedisFailures.code(reply);
		if ("BUSYKEY".equals(code)) {
			if (targetHolds(dump)) {
				// written by this run: an attempt that timed out after the server applied
				// it, or a
				// resumed execution re-reading the page of its checkpoint
				return RestoreResult.written(dump);
			}
			if (this.options.policy() == ConflictPolicy.FAIL) {
				throw new KeyferryException(
						"key " + KeyNames.escape(dump.key()) + " already exists in the target (--on-conflict fail)",
						"delete it, or use --on-conflict replace or skip; the run is resumable: run the same command again");
			}
			return RestoreResult.skipped(dump, SkipReason.EXISTS, reply);
		}
		if (reply.contains("payload version or checksum")) {
			int payloadVersion = RdbVersion.ofPayload(dump.payload());
			if (this.options.targetRdbVersion() > 0 && payloadVersion > this.options.targetRdbVersion()) {
				throw targetTooOld(payloadVersion, this.options.targetRdbVersion());
			}
			return RestoreResult.skipped(dump, SkipReason.REJECTED, reply);
		}
		if (reply.contains("Bad data format")) {
			return RestoreResult.skipped(dump, SkipReason.REJECTED, reply);
		}
		return RestoreResult.skipped(dump, SkipReason.OTHER, reply);
	}

	/**
	 * Asks whether the target holds the key's source value, retrying transient failures
	 * like a write (a comparison's failure is described: the cause is Redis's).
	 */
	private boolean targetHolds(KeyDump dump) {
		for (int retry = 1;; retry++) {
			try {
				return this.targetHoldsValue.test(dump);
			}
			catch (KeyferryException ex) {
				if (ex.getCause() == null || RedisFailures.classify(ex.getCause()) != RedisFailures.Kind.TRANSIENT
						|| retry > this.options.backoff().retries()) {
					throw ex;
				}
				this.options.backoff().pause(retry, this.stopping);
			}
		}
	}

	/**
	 * The error for a target whose RDB format is older than the source's.
	 * @param sourceVersion the source's RDB version
	 * @param targetVersion the target's RDB version
	 * @return the exception
	 */
	public static KeyferryException targetTooOld(int sourceVersion, int targetVersion) {
		return KeyferryException.usage(
				"the target is older than the source: it reads RDB format " + targetVersion
						+ " but the source writes format " + sourceVersion,
				"DUMP payloads only restore on the same or a newer Redis: use a target running at least the source's version");
	}

}
