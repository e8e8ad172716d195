package io.keyferry.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import io.lettuce.core.api.StatefulRedisConnection;

/**
 * Compares keys of the source with the target: present, same type, same value, expiries
 * within a tolerance. Both sides are read with DUMP and their expiry in one pipelined
 * batch per server ({@link DumpFetcher}: absolute times through each server's measured
 * clock offset). Equal payloads are equal values; different payloads are compared again
 * by content, piece by piece ({@link ValueComparison}), because a hash table serializes
 * in an order of its process's hash seed and payloads of different RDB versions never
 * match. Values bigger than a threshold ({@code MEMORY USAGE}, see {@link DumpFetcher})
 * are not DUMPed on either side but compared by content, in pieces, so that memory does
 * not grow with a value's size. Thread-safe as its connections are.
 */
public final class KeyVerifier {

	/**
	 * How to read and compare.
	 *
	 * @param timeout how long to wait for a batch
	 * @param ttlTolerance how far two expiries may be apart
	 * @param renames the target's name of each source key
	 * @param sourceAbsoluteExpiry whether the source has {@code PEXPIRETIME}
	 * @param sourceClockOffset the source's clock minus this machine's
	 * @param targetAbsoluteExpiry whether the target has {@code PEXPIRETIME}
	 * @param targetClockOffset the target's clock minus this machine's
	 * @param targetVersion the target's Redis version (see {@link ValueComparison})
	 */
	public record Options(Duration timeout, Duration ttlTolerance, PrefixRenames renames, boolean sourceAbsoluteExpiry,
			long sourceClockOffset, boolean targetAbsoluteExpiry, long targetClockOffset, String targetVersion) {
	}

	private final Function<byte[], StatefulRedisConnection<byte[], byte[]>> sourceRoute;

	private final Endpoint source;

	private final Function<byte[], StatefulRedisConnection<byte[], byte[]>> targetRoute;

	private final Endpoint target;

	private final Options options;

	private final Map<Pair, ValueComparison> comparisons = new ConcurrentHashMap<>();

	private final long bigValueBytes;

	private final java.util.function.Consumer<String> sizesUnavailable;

	/** One fetcher per connection: it remembers a server that refuses MEMORY. */
	private final Map<StatefulRedisConnection<byte[], byte[]>, DumpFetcher> fetchers = new ConcurrentHashMap<>();

	private record Pair(StatefulRedisConnection<byte[], byte[]> source,
			StatefulRedisConnection<byte[], byte[]> target) {
	}

	/**
	 * Creates a verifier.
	 * @param sourceRoute the source connection that holds a key (by the source's name)
	 * @param source the source (for messages)
	 * @param targetRoute the target connection that holds a key (by the target's name)
	 * @param target the target (for messages)
	 * @param options how to read and compare
	 */
	public KeyVerifier(Function<byte[], StatefulRedisConnection<byte[], byte[]>> sourceRoute, Endpoint source,
			Function<byte[], StatefulRedisConnection<byte[], byte[]>> targetRoute, Endpoint target, Options options) {
		this(sourceRoute, source, targetRoute, target, options, 0, (refusal) -> {
		});
	}

	/**
	 * Creates a verifier that compares big values in pieces.
	 * @param sourceRoute the source connection that holds a key (by the source's name)
	 * @param source the source (for messages)
	 * @param targetRoute the target connection that holds a key (by the target's name)
	 * @param target the target (for messages)
	 * @param options how to read and compare
	 * @param bigValueBytes values taking more memory are not DUMPed; 0 to DUMP every
	 * value
	 * @param sizesUnavailable told why a server refuses {@code MEMORY USAGE} (once per
	 * connection)
	 */
	public KeyVerifier(Function<byte[], StatefulRedisConnection<byte[], byte[]>> sourceRoute, Endpoint source,
			Function<byte[], StatefulRedisConnection<byte[], byte[]>> targetRoute, Endpoint target, Options options,
			long bigValueBytes, java.util.function.Consumer<String> sizesUnavailable) {
		this.bigValueBytes = bigValueBytes;
		this.sizesUnavailable = sizesUnavailable;
		this.sourceRoute = sourceRoute;
		this.source = source;
		this.targetRoute = targetRoute;
		this.target = target;
		this.options = options;
	}

	/**
	 * Compares keys of the source with the target.
	 * @param keys the source's names
	 * @return one verdict per key, in order
	 */
	public List<KeyVerdict> verify(List<byte[]> keys) {
		List<KeyDump> sourceDumps = fetch(keys, this.sourceRoute, this.options.sourceAbsoluteExpiry(),
				this.options.sourceClockOffset());
		List<byte[]> targetKeys = keys.stream().map(this.options.renames()::targetKey).toList();
		List<KeyDump> targetDumps = fetch(targetKeys, this.targetRoute, this.options.targetAbsoluteExpiry(),
				this.options.targetClockOffset());
		List<KeyVerdict> verdicts = new ArrayList<>(keys.size());
		for (int i = 0; i < keys.size(); i++) {
			verdicts.add(compare(sourceDumps.get(i), targetDumps.get(i), targetKeys.get(i)));
		}
		return verdicts;
	}

	private KeyVerdict compare(KeyDump source, KeyDump target, byte[] targetKey) {
		byte[] key = source.key();
		if (!source.exists()) {
			return KeyVerdict.gone(key);
		}
		if (!target.exists()) {
			return KeyVerdict.different(key, DifferenceKind.MISSING, "not in the target");
		}
		if (source.isBig() || target.isBig()) {
			// no payload to compare: the content, in pieces
			if (!sameContent(source, targetKey)) {
				return KeyVerdict.different(key, DifferenceKind.VALUE, "the values differ");
			}
			String ttl = ttlDifference(source.expireAt(), target.expireAt());
			return (ttl != null) ? KeyVerdict.different(key, DifferenceKind.TTL, ttl) : KeyVerdict.equal(key);
		}
		String sourceType = ValueComparison.typeOfPayload(source.payload());
		String targetType = ValueComparison.typeOfPayload(target.payload());
		if (sourceType != null && targetType != null && !sourceType.equals(targetType)) {
			return KeyVerdict.different(key, DifferenceKind.TYPE, "source " + sourceType + ", target " + targetType);
		}
		if (!Arrays.equals(source.payload(), target.payload()) && !sameContent(source, targetKey)) {
			return KeyVerdict.different(key, DifferenceKind.VALUE, "the " + sourceType + " values differ");
		}
		String ttl = ttlDifference(source.expireAt(), target.expireAt());
		return (ttl != null) ? KeyVerdict.different(key, DifferenceKind.TTL, ttl) : KeyVerdict.equal(key);
	}

	private boolean sameContent(KeyDump source, byte[] targetKey) {
		Pair pair = new Pair(this.sourceRoute.apply(source.key()), this.targetRoute.apply(targetKey));
		return this.comparisons
			.computeIfAbsent(pair,
					(p) -> new ValueComparison(p.source(), this.source, p.target(), this.target,
							this.options.targetVersion(), this.options.timeout(), this.options.renames()))
			.targetHolds(source);
	}

	/**
	 * What differs between two expiries (this machine's clock), or {@code null} when they
	 * agree.
	 */
	String ttlDifference(long sourceExpireAt, long targetExpireAt) {
		boolean sourcePersistent = sourceExpireAt == KeyDump.PERSISTENT;
		boolean targetPersistent = targetExpireAt == KeyDump.PERSISTENT;
		if (sourcePersistent && targetPersistent) {
			return null;
		}
		if (sourcePersistent) {
			return "persistent in the source, expires in the target";
		}
		if (targetPersistent) {
			return "expires in the source, persistent in the target";
		}
		long apart = targetExpireAt - sourceExpireAt;
		if (Math.abs(apart) <= this.options.ttlTolerance().toMillis()) {
			return null;
		}
		return "the target expires " + Math.abs(apart) + " ms " + ((apart > 0) ? "later" : "earlier");
	}

	/**
	 * Fetches the dumps of keys held by one or more connections, in the keys' order.
	 */
	private List<KeyDump> fetch(List<byte[]> keys, Function<byte[], StatefulRedisConnection<byte[], byte[]>> route,
			boolean absoluteExpiry, long clockOffset) {
		Map<StatefulRedisConnection<byte[], byte[]>, List<Integer>> byConnection = new IdentityHashMap<>();
		for (int i = 0; i < keys.size(); i++) {
			byConnection.computeIfAbsent(route.apply(keys.get(i)), (c) -> new ArrayList<>()).add(i);
		}
		KeyDump[] dumps = new KeyDump[keys.size()];
		byConnection.forEach((connection, indexes) -> {
			List<KeyDump> fetched = this.fetchers
				.computeIfAbsent(connection,
						(c) -> new DumpFetcher(c, this.options.timeout(), absoluteExpiry, clockOffset,
								AccessTracking.NONE, this.bigValueBytes, this.sizesUnavailable))
				.fetch(indexes.stream().map(keys::get).toList());
			for (int j = 0; j < indexes.size(); j++) {
				dumps[indexes.get(j)] = fetched.get(j);
			}
		});
		return Arrays.asList(dumps);
	}

}
