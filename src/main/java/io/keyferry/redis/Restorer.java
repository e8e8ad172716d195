package io.keyferry.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
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

	/**
	 * How many times in a row keys may be redirected ({@code MOVED}, {@code ASK}) without
	 * a write failing otherwise, before the batch fails (a slot map that keeps changing).
	 */
	static final int MAX_REDIRECTS = 16;

	private final TargetRoute route;

	/**
	 * Keys to send next to the node a redirection named, by index: an {@code ASK} (sent
	 * once, after {@code ASKING}) or a {@code MOVED} (the node that serves the slot now,
	 * even while the map read back from the cluster is older than the redirection).
	 */
	private final Map<Integer, Redirect> redirects = new HashMap<>();

	private final Endpoint endpoint;

	private final Options options;

	private final BooleanSupplier stopping;

	private final java.util.function.Predicate<KeyDump> targetHoldsValue;

	private final java.util.function.Function<byte[], KeyDump> refetch;

	private final Fallback fallback;

	private final BigValues bigValues;

	/**
	 * How values too big to DUMP whole are written: in pieces, type by type (see
	 * {@link KeyDump#isBig()}).
	 *
	 * @param writer writes a key type by type
	 * @param source the source (for messages about its failures)
	 */
	public record BigValues(TypeWriter writer, Endpoint source) {
	}

	/**
	 * How keys whose payload the target cannot read are written instead.
	 *
	 * @param writer writes a key type by type
	 * @param mode {@link WriteMode#TYPES} for every key, {@link WriteMode#AUTO} for the
	 * keys that need it
	 * @param source the source (for messages about its failures)
	 */
	public record Fallback(TypeWriter writer, WriteMode mode, Endpoint source) {
	}

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
	 * @param renames the name each key is written under
	 */
	public record Options(ConflictPolicy policy, boolean dryRun, long maxValueBytes, int targetRdbVersion,
			Backoff backoff, Duration timeout, long targetClockOffset, PrefixRenames renames) {

		public Options {
			renames = (renames != null) ? renames : PrefixRenames.NONE;
		}

		/**
		 * Options that write every key under its own name.
		 */
		public Options(ConflictPolicy policy, boolean dryRun, long maxValueBytes, int targetRdbVersion, Backoff backoff,
				Duration timeout, long targetClockOffset) {
			this(policy, dryRun, maxValueBytes, targetRdbVersion, backoff, timeout, targetClockOffset,
					PrefixRenames.NONE);
		}

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
		this(TargetRoute.single(connection), endpoint, options, stopping, targetHoldsValue, refetch);
	}

	/**
	 * Creates a restorer that writes each key where a route says: for a cluster, to the
	 * master serving its slot, following {@code MOVED} and {@code ASK} itself.
	 * @param route where each key goes
	 * @param endpoint the target (for messages)
	 * @param options how to write
	 * @param stopping whether a stop was requested (abandons retries)
	 * @param targetHoldsValue as for the other constructor
	 * @param refetch as for the other constructor
	 */
	public Restorer(TargetRoute route, Endpoint endpoint, Options options, BooleanSupplier stopping,
			java.util.function.Predicate<KeyDump> targetHoldsValue,
			java.util.function.Function<byte[], KeyDump> refetch) {
		this(route, endpoint, options, stopping, targetHoldsValue, refetch, null);
	}

	/**
	 * Creates a restorer that writes keys type by type where RESTORE cannot write them.
	 * @param route where each key goes
	 * @param endpoint the target (for messages)
	 * @param options how to write
	 * @param stopping whether a stop was requested (abandons retries)
	 * @param targetHoldsValue as for the other constructors
	 * @param refetch as for the other constructors
	 * @param fallback how to write keys type by type, {@code null} for RESTORE only
	 * ({@code --write-mode restore}, or a target that reads the source's format)
	 */
	public Restorer(TargetRoute route, Endpoint endpoint, Options options, BooleanSupplier stopping,
			java.util.function.Predicate<KeyDump> targetHoldsValue,
			java.util.function.Function<byte[], KeyDump> refetch, Fallback fallback) {
		this(route, endpoint, options, stopping, targetHoldsValue, refetch, fallback, null);
	}

	/**
	 * Creates a restorer that writes big values in pieces.
	 * @param route where each key goes
	 * @param endpoint the target (for messages)
	 * @param options how to write
	 * @param stopping whether a stop was requested (abandons retries)
	 * @param targetHoldsValue as for the other constructors
	 * @param refetch as for the other constructors
	 * @param fallback as for the other constructors
	 * @param bigValues how values too big to DUMP whole are written, {@code null} when
	 * none are expected (every dump has its payload)
	 */
	public Restorer(TargetRoute route, Endpoint endpoint, Options options, BooleanSupplier stopping,
			java.util.function.Predicate<KeyDump> targetHoldsValue,
			java.util.function.Function<byte[], KeyDump> refetch, Fallback fallback, BigValues bigValues) {
		this.bigValues = bigValues;
		this.fallback = fallback;
		this.refetch = refetch;
		this.route = route;
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
		// keys to write type by type, in read order
		java.util.TreeMap<Integer, FallbackReason> byTypes = new java.util.TreeMap<>();
		for (int i = 0; i < n; i++) {
			KeyDump dump = dumps.get(i);
			if (dump.isDeferred()) {
				// a large value: read and written on its own, and not kept afterwards;
				// with
				// the idle time or frequency read before its first DUMP touched it
				results[i] = restore(List.of(this.refetch.apply(dump.key()).withAccessOf(dump))).get(0).released();
			}
			else if (!dump.exists()) {
				results[i] = RestoreResult.filtered(dump);
			}
			else if (dump.bigBytes() > this.options.maxValueBytes()) {
				results[i] = RestoreResult.skipped(dump, SkipReason.TOO_LARGE, "value of " + dump.bigBytes()
						+ " bytes in memory (MEMORY USAGE) exceeds --max-value-bytes " + this.options.maxValueBytes());
			}
			else if (dump.isBig() && !this.options.dryRun()) {
				// after the RESTOREs of the batch, like the keys written type by type
				byTypes.put(i, FallbackReason.BIG_VALUE);
			}
			else if (dump.size() > this.options.maxValueBytes()) {
				results[i] = RestoreResult.skipped(dump, SkipReason.TOO_LARGE, "payload of " + dump.size()
						+ " bytes exceeds --max-value-bytes " + this.options.maxValueBytes());
			}
			else {
				FallbackReason reason = fallbackBeforeWriting(dump);
				if (reason != null) {
					byTypes.put(i, reason);
				}
				else {
					pending.add(i);
				}
			}
		}
		this.redirects.clear();
		int retries = 0;
		int redirected = 0;
		while (!pending.isEmpty()) {
			Attempt attempt = attemptOnce(dumps, pending, results, byTypes);
			if (pending.isEmpty()) {
				break;
			}
			if (attempt.redirected() || attempt.failure() != null) {
				this.route.refresh();
			}
			Throwable failure = attempt.failure();
			if (failure == null) {
				// only redirected: sent again at once to the node named; a slot map that
				// keeps changing (nodes that do not agree yet, during a failover) is then
				// waited for like a failure
				if (++redirected <= MAX_REDIRECTS) {
					continue;
				}
				failure = new RedisException("keys were redirected (MOVED/ASK) " + redirected
						+ " times in a row, the last ones after pauses: the cluster's nodes do not agree on which serves their slots");
			}
			else {
				redirected = 0;
			}
			if (++retries > this.options.backoff().retries()) {
				throw RedisFailures.describe("target", this.endpoint, failure);
			}
			this.options.backoff().pause(retries, this.stopping);
		}
		for (Map.Entry<Integer, FallbackReason> key : byTypes.entrySet()) {
			results[key.getKey()] = writeByTypes(dumps.get(key.getKey()), key.getValue());
		}
		return Arrays.asList(results);
	}

	/**
	 * Why a key is written type by type without trying RESTORE first, or {@code null}.
	 */
	private FallbackReason fallbackBeforeWriting(KeyDump dump) {
		if (this.fallback == null || this.options.dryRun()) {
			return null;
		}
		if (this.fallback.mode() == WriteMode.TYPES) {
			return FallbackReason.WRITE_MODE;
		}
		int targetVersion = this.options.targetRdbVersion();
		if (targetVersion > 0 && RdbVersion.ofPayload(dump.payload()) > targetVersion) {
			return FallbackReason.OLDER_TARGET;
		}
		return null;
	}

	/**
	 * Writes a key type by type, retrying transient failures of either server like a
	 * write (each attempt starts the key again).
	 */
	private RestoreResult writeByTypes(KeyDump dump, FallbackReason reason) {
		byte[] targetKey = this.options.renames().targetKey(dump.key());
		long targetOffset = this.options.targetClockOffset();
		boolean replace = this.options.policy() == ConflictPolicy.REPLACE;
		boolean big = reason == FallbackReason.BIG_VALUE;
		TypeWriter writer = big ? this.bigValues.writer() : this.fallback.writer();
		Endpoint source = big ? this.bigValues.source() : this.fallback.source();
		for (int retry = 1;; retry++) {
			String side = "target";
			Endpoint failed = this.endpoint;
			RuntimeException failure;
			try {
				TypeWriter.Result result = writer.write(dump.key(), targetKey, this.route.connectionFor(targetKey),
						() -> dump.restoreExpiry(System.currentTimeMillis(), targetOffset), replace);
				return switch (result.outcome()) {
					case WRITTEN -> writtenByTypes(dump, reason);
					case GONE, EXPIRED -> RestoreResult.filtered(dump);
					case EXISTS -> {
						RestoreResult existing = keyProblem(dump, "BUSYKEY Target key name already exists.");
						yield (existing.outcome() == RestoreResult.Outcome.WRITTEN) ? writtenByTypes(dump, reason)
								: existing;
					}
					case UNSUPPORTED -> big ? RestoreResult.skipped(dump, SkipReason.TOO_LARGE, "value of "
							+ dump.bigBytes()
							+ " bytes in memory is too big to read whole, and keyferry has no commands to copy a value of type "
							+ result.type() + " in pieces")
							: RestoreResult.skipped(dump, SkipReason.REJECTED,
									"the target cannot read its payload (RDB format "
											+ RdbVersion.ofPayload(dump.payload())
											+ ") and keyferry has no commands to write a value of type "
											+ result.type());
				};
			}
			catch (TypeWriter.SourceFailure ex) {
				side = "source";
				failed = source;
				failure = (RuntimeException) ex.getCause();
			}
			catch (RedisException ex) {
				failure = ex;
			}
			if (failure instanceof RedisCommandExecutionException error) {
				String message = String.valueOf(error.getMessage());
				String code = RedisFailures.code(message);
				boolean redirected = this.route.cluster() && (code.equals("MOVED") || code.equals("ASK"));
				RedisFailures.Kind kind = RedisFailures.classifyReply(message);
				if (!redirected && kind == RedisFailures.Kind.KEY) {
					return RestoreResult.skipped(dump, SkipReason.OTHER,
							"writing it type by type, the " + side + " answered: " + message);
				}
				if (!redirected && kind == RedisFailures.Kind.FATAL) {
					throw RedisFailures.describe(side, failed, error);
				}
			}
			if (retry > this.options.backoff().retries()) {
				throw RedisFailures.describe(side, failed, failure);
			}
			this.route.refresh();
			this.options.backoff().pause(retry, this.stopping);
		}
	}

	private static RestoreResult writtenByTypes(KeyDump dump, FallbackReason reason) {
		return (reason == FallbackReason.BIG_VALUE) ? RestoreResult.writtenInPieces(dump)
				: RestoreResult.writtenByTypes(dump, reason);
	}

	/**
	 * How an attempt ended for the keys it left pending.
	 *
	 * @param failure the last transient failure, or {@code null}
	 * @param redirected whether a key was redirected ({@code MOVED}, {@code ASK})
	 */
	private record Attempt(Throwable failure, boolean redirected) {
	}

	/**
	 * Where a redirection sends a key next.
	 *
	 * @param address the node's {@code host:port}
	 * @param asking whether it was an {@code ASK} (sent once, after {@code ASKING})
	 */
	private record Redirect(String address, boolean asking) {
	}

	/** A key's command in the batch of the node it was sent to. */
	private record Sent(int index, Pipeline batch, int reply) {
	}

	private Attempt attemptOnce(List<KeyDump> dumps, List<Integer> pending, RestoreResult[] results,
			Map<Integer, FallbackReason> byTypes) {
		long targetOffset = this.options.targetClockOffset();
		long now = System.currentTimeMillis();
		List<Sent> sent = new ArrayList<>(pending.size());
		Map<StatefulRedisConnection<byte[], byte[]>, Pipeline> batches = new IdentityHashMap<>();
		Throwable failure = null;
		List<Integer> unsent = new ArrayList<>();
		for (int i : pending) {
			KeyDump dump = dumps.get(i);
			long expiry = dump.restoreExpiry(now, targetOffset);
			if (expiry == KeyDump.EXPIRED) {
				results[i] = RestoreResult.filtered(dump);
				continue;
			}
			Redirect redirect = this.redirects.remove(i);
			// the key's name in the target decides its slot too
			byte[] targetKey = this.options.renames().targetKey(dump.key());
			StatefulRedisConnection<byte[], byte[]> connection;
			try {
				connection = (redirect != null) ? this.route.connectionAt(redirect.address())
						: this.route.connectionFor(targetKey);
			}
			catch (RedisException ex) {
				// a node that cannot be reached or a slot without a master now
				failure = ex;
				unsent.add(i);
				continue;
			}
			Pipeline batch = batches.computeIfAbsent(connection, (c) -> new Pipeline(pending.size()));
			if (redirect != null && redirect.asking()) {
				batch.add(CommandType.ASKING, new StatusOutput<>(CODEC));
			}
			sent.add(new Sent(i, batch, batch.replies().size()));
			add(batch, targetKey, dump, expiry);
		}
		pending.clear();
		pending.addAll(unsent);
		if (sent.isEmpty()) {
			return new Attempt(failure, false);
		}
		Map<Pipeline, RedisException> unsendable = new IdentityHashMap<>();
		for (Map.Entry<StatefulRedisConnection<byte[], byte[]>, Pipeline> entry : batches.entrySet()) {
			try {
				entry.getValue().send(entry.getKey());
			}
			catch (RedisException ex) {
				unsendable.put(entry.getValue(), ex);
			}
		}
		long deadline = System.nanoTime() + this.options.timeout().toNanos();
		try {
			for (Pipeline batch : batches.values()) {
				if (!unsendable.containsKey(batch)) {
					batch.await(deadline);
				}
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new Backoff.StopRequestedException();
		}
		boolean redirected = false;
		for (Sent key : sent) {
			int i = key.index();
			KeyDump dump = dumps.get(i);
			if (unsendable.containsKey(key.batch())) {
				failure = unsendable.get(key.batch());
				pending.add(i);
				continue;
			}
			Object reply;
			try {
				reply = key.batch().replies().get(key.reply()).get();
			}
			catch (RedisCommandExecutionException error) {
				String message = String.valueOf(error.getMessage());
				String code = RedisFailures.code(message);
				if (this.route.cluster() && (code.equals("MOVED") || code.equals("ASK"))) {
					// MOVED <slot> <host:port>: the slot has a new owner; ASK: this key
					// is already in the importing node, the slot not yet
					String[] parts = message.trim().split(" ");
					if (parts.length >= 3) {
						this.redirects.put(i, new Redirect(parts[2], code.equals("ASK")));
					}
					redirected = true;
					pending.add(i);
					continue;
				}
				RedisFailures.Kind kind = RedisFailures.classifyReply(message);
				if (kind == RedisFailures.Kind.KEY && this.fallback != null && !this.options.dryRun()
						&& message.contains("payload version or checksum")) {
					byTypes.put(i, FallbackReason.REJECTED);
					continue;
				}
				if (kind == RedisFailures.Kind.KEY) {
					results[i] = keyProblem(dump, message);
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
		pending.sort(null);
		return new Attempt(failure, redirected);
	}

	private void add(Pipeline batch, byte[] targetKey, KeyDump dump, long expiry) {
		if (this.options.dryRun()) {
			// a dry run writes nothing; it only asks whether the key exists when that
			// matters
			if (this.options.policy() == ConflictPolicy.REPLACE) {
				batch.add(CommandType.PING, new StatusOutput<>(CODEC));
			}
			else {
				batch.add(CommandType.EXISTS, new IntegerOutput<>(CODEC), targetKey);
			}
			return;
		}
		boolean replace = this.options.policy() == ConflictPolicy.REPLACE;
		// a positive expiry is an absolute time in the target's clock
		boolean absolute = expiry > 0;
		// the source's idle time or frequency, read only for a target that evicts by it
		boolean idle = dump.idleSeconds() >= 0;
		boolean frequency = dump.frequency() >= 0;
		Object[] args = new Object[3 + (replace ? 1 : 0) + (absolute ? 1 : 0) + (idle ? 2 : 0) + (frequency ? 2 : 0)];
		args[0] = targetKey;
		args[1] = expiry;
		args[2] = dump.payload();
		int next = 3;
		if (replace) {
			args[next++] = CommandKeyword.REPLACE;
		}
		if (absolute) {
			args[next++] = CommandKeyword.ABSTTL;
		}
		if (idle) {
			args[next++] = CommandKeyword.IDLETIME;
			args[next++] = dump.idleSeconds();
		}
		if (frequency) {
			args[next++] = CommandKeyword.FREQ;
			args[next] = dump.frequency();
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
						"key " + KeyNames.escape(dump.key()) + renamedAs(dump)
								+ " already exists in the target (--on-conflict fail)",
						"delete it, or use --on-conflict replace or skip; the run is resumable: run the same command again");
			}
			return RestoreResult.skipped(dump, SkipReason.EXISTS, reply + renamedAs(dump));
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
	 * For messages and skip records (which name the source key): the target's name of a
	 * renamed key.
	 */
	private String renamedAs(KeyDump dump) {
		byte[] targetKey = this.options.renames().targetKey(dump.key());
		return (targetKey == dump.key()) ? "" : " (written as " + KeyNames.escape(targetKey) + ")";
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
				"DUMP payloads only restore on the same or a newer Redis: use --write-mode auto (the default) to write such keys type by type, or a target running at least the source's version");
	}

}
