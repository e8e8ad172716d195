package io.keyferry.redis;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.KeyValue;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.Limit;
import io.lettuce.core.MapScanCursor;
import io.lettuce.core.Range;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.ValueScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;

/**
 * Tells whether the target already holds the source's value of a key: the same type, the
 * same length, and the same content, read from both servers piece by piece (sets and
 * hashes in a hash table serialize in an order that depends on each server's hash seed,
 * so equal values can have different DUMP payloads; comparing content also works across
 * RDB versions). Used when a RESTORE without REPLACE meets an existing key, which is also
 * what happens when a resumed run re-reads keys it wrote before its checkpoint.
 * <p>
 * Memory is bounded whatever the value's size: at most {@link #PAGE} elements (or
 * {@link #PIECE} bytes of a string) of each side are held at a time, never a whole value;
 * different types or lengths end the comparison after the first page. Most values take
 * one round trip (type, lengths and first page pipelined), sets and hashes two. Every
 * command it sends is listed by {@link #sourceCommands} and {@link #targetCommands},
 * which the pre-flight probes. Thread-safe as its connections are.
 */
public final class ValueComparison {

	/** Elements of a collection read per command. */
	static final int PAGE = 256;

	/** Bytes of a string read per command. */
	static final int PIECE = 1024 * 1024;

	/** The types keyferry compares (those of {@code SCAN … TYPE}). */
	public static final List<String> TYPES = List.of("string", "list", "set", "zset", "hash", "stream");

	private final RedisAsyncCommands<byte[], byte[]> source;

	private final RedisAsyncCommands<byte[], byte[]> target;

	private final Endpoint sourceEndpoint;

	private final Endpoint targetEndpoint;

	private final Duration timeout;

	private final boolean setMembership;

	private final int page;

	private final int piece;

	private final PrefixRenames renames;

	/**
	 * Creates a comparison.
	 * @param source the source connection
	 * @param sourceEndpoint the source (for messages)
	 * @param target the target connection
	 * @param targetEndpoint the target (for messages)
	 * @param targetVersion the target's Redis version, which decides how set members are
	 * looked up (see {@link #hasSmismember})
	 * @param timeout how long to wait for a reply
	 */
	public ValueComparison(StatefulRedisConnection<byte[], byte[]> source, Endpoint sourceEndpoint,
			StatefulRedisConnection<byte[], byte[]> target, Endpoint targetEndpoint, String targetVersion,
			Duration timeout) {
		this(source, sourceEndpoint, target, targetEndpoint, targetVersion, timeout, PrefixRenames.NONE);
	}

	/**
	 * Creates a comparison of each source key with the target key it is written under.
	 * @param source the source connection
	 * @param sourceEndpoint the source (for messages)
	 * @param target the target connection
	 * @param targetEndpoint the target (for messages)
	 * @param targetVersion the target's Redis version
	 * @param timeout how long to wait for a reply
	 * @param renames the target's name of each source key
	 */
	public ValueComparison(StatefulRedisConnection<byte[], byte[]> source, Endpoint sourceEndpoint,
			StatefulRedisConnection<byte[], byte[]> target, Endpoint targetEndpoint, String targetVersion,
			Duration timeout, PrefixRenames renames) {
		this(source, sourceEndpoint, target, targetEndpoint, targetVersion, timeout, PAGE, PIECE, renames);
	}

	ValueComparison(StatefulRedisConnection<byte[], byte[]> source, Endpoint sourceEndpoint,
			StatefulRedisConnection<byte[], byte[]> target, Endpoint targetEndpoint, String targetVersion,
			Duration timeout, int page, int piece) {
		this(source, sourceEndpoint, target, targetEndpoint, targetVersion, timeout, page, piece, PrefixRenames.NONE);
	}

	private ValueComparison(StatefulRedisConnection<byte[], byte[]> source, Endpoint sourceEndpoint,
			StatefulRedisConnection<byte[], byte[]> target, Endpoint targetEndpoint, String targetVersion,
			Duration timeout, int page, int piece, PrefixRenames renames) {
		this.renames = renames;
		this.source = source.async();
		this.target = target.async();
		this.sourceEndpoint = sourceEndpoint;
		this.targetEndpoint = targetEndpoint;
		this.setMembership = hasSmismember(targetVersion);
		this.timeout = timeout;
		this.page = page;
		this.piece = piece;
	}

	/**
	 * The commands a comparison sends to the source.
	 * @param type the only type copied ({@code --type}), or {@code null} for all
	 * @return the command names, lower case as ACL rules spell them
	 */
	public static List<String> sourceCommands(String type) {
		List<String> commands = new ArrayList<>();
		for (String t : types(type)) {
			commands.addAll(switch (t) {
				case "string" -> List.of("strlen", "getrange");
				case "list" -> List.of("llen", "lrange");
				case "set" -> List.of("scard", "sscan");
				case "zset" -> List.of("zcard", "zrange");
				case "hash" -> List.of("hlen", "hscan");
				default -> List.of("xlen", "xrange");
			});
		}
		return commands;
	}

	/**
	 * The commands a comparison sends to the target.
	 * @param type the only type copied ({@code --type}), or {@code null} for all
	 * @param targetVersion the target's Redis version
	 * @return the command names, lower case as ACL rules spell them
	 */
	public static List<String> targetCommands(String type, String targetVersion) {
		List<String> commands = new ArrayList<>(List.of("type"));
		for (String t : types(type)) {
			commands.addAll(switch (t) {
				case "string" -> List.of("strlen", "getrange");
				case "list" -> List.of("llen", "lrange");
				case "set" -> List.of("scard", hasSmismember(targetVersion) ? "smismember" : "sismember");
				case "zset" -> List.of("zcard", "zrange");
				case "hash" -> List.of("hlen", "hmget");
				default -> List.of("xlen", "xrange");
			});
		}
		return commands;
	}

	private static List<String> types(String type) {
		return (type == null || type.isEmpty()) ? TYPES : List.of(type);
	}

	/**
	 * Whether a Redis version has {@code SMISMEMBER} (6.2 and newer); an unknown version
	 * is taken as new.
	 * @param version e.g. {@code 7.0.15}, or {@code null}
	 * @return true from 6.2
	 */
	public static boolean hasSmismember(String version) {
		if (version == null) {
			return true;
		}
		String[] parts = version.split("\\.");
		try {
			int major = Integer.parseInt(parts[0]);
			int minor = (parts.length > 1) ? Integer.parseInt(parts[1]) : 0;
			return major * 100 + minor >= 602;
		}
		catch (NumberFormatException ex) {
			return true;
		}
	}

	/**
	 * Compares the target's value of the dumped key with the source's.
	 * @param dump the key's dump from the source
	 * @return true when the target holds the same value
	 * @throws io.keyferry.KeyferryException when a server fails (the message names which;
	 * its cause is the Redis failure)
	 */
	public boolean targetHolds(KeyDump dump) {
		try {
			return compare(dump.key(), this.renames.targetKey(dump.key()), typeOfPayload(dump.payload()));
		}
		catch (TypeChanged ex) {
			return false;
		}
	}

	private boolean compare(byte[] key, byte[] targetKey, String dumpedType) {
		RedisFuture<String> targetType = this.target.type(targetKey);
		String type = dumpedType;
		if (type == null) {
			type = await(targetType, this.targetEndpoint);
			if (!TYPES.contains(type)) {
				return false;
			}
		}
		// each type's first page is asked for together with the lengths: one round trip
		// for most values
		Shape shape = new Shape(type, targetType, length(this.source, type, key), length(this.target, type, targetKey));
		return switch (type) {
			case "string" -> sameString(key, targetKey, shape);
			case "list" -> sameList(key, targetKey, shape);
			case "set" -> sameSet(key, targetKey, shape);
			case "zset" -> sameSortedSet(key, targetKey, shape);
			case "hash" -> sameHash(key, targetKey, shape);
			default -> sameStream(key, targetKey, shape);
		};
	}

	/** The type and lengths asked for, to be checked once the first page is asked for. */
	private record Shape(String type, RedisFuture<String> targetType, RedisFuture<Long> sourceLength,
			RedisFuture<Long> targetLength) {
	}

	/**
	 * The length of both values, or -1 when their types or lengths differ.
	 */
	private long length(Shape shape) {
		if (!shape.type().equals(await(shape.targetType(), this.targetEndpoint))) {
			return -1;
		}
		long length = await(shape.sourceLength(), this.sourceEndpoint);
		return (length == await(shape.targetLength(), this.targetEndpoint)) ? length : -1;
	}

	private static RedisFuture<Long> length(RedisAsyncCommands<byte[], byte[]> commands, String type, byte[] key) {
		return switch (type) {
			case "string" -> commands.strlen(key);
			case "list" -> commands.llen(key);
			case "set" -> commands.scard(key);
			case "zset" -> commands.zcard(key);
			case "hash" -> commands.hlen(key);
			default -> commands.xlen(key);
		};
	}

	private boolean sameString(byte[] key, byte[] targetKey, Shape shape) {
		RedisFuture<byte[]> fromSource = this.source.getrange(key, 0, this.piece - 1);
		RedisFuture<byte[]> fromTarget = this.target.getrange(targetKey, 0, this.piece - 1);
		long length = length(shape);
		if (length < 0) {
			return false;
		}
		for (long start = 0; start < length; start += this.piece) {
			if (start > 0) {
				long end = Math.min(length, start + this.piece) - 1;
				fromSource = this.source.getrange(key, start, end);
				fromTarget = this.target.getrange(targetKey, start, end);
			}
			if (!Arrays.equals(await(fromSource, this.sourceEndpoint), await(fromTarget, this.targetEndpoint))) {
				return false;
			}
		}
		return true;
	}

	private boolean sameList(byte[] key, byte[] targetKey, Shape shape) {
		RedisFuture<List<byte[]>> fromSource = this.source.lrange(key, 0, this.page - 1);
		RedisFuture<List<byte[]>> fromTarget = this.target.lrange(targetKey, 0, this.page - 1);
		long length = length(shape);
		if (length < 0) {
			return false;
		}
		for (long start = 0; start < length; start += this.page) {
			if (start > 0) {
				fromSource = this.source.lrange(key, start, start + this.page - 1);
				fromTarget = this.target.lrange(targetKey, start, start + this.page - 1);
			}
			if (!wrap(await(fromSource, this.sourceEndpoint)).equals(wrap(await(fromTarget, this.targetEndpoint)))) {
				return false;
			}
		}
		return true;
	}

	private boolean sameSortedSet(byte[] key, byte[] targetKey, Shape shape) {
		// ranks order members by score, then lexicographically: the same on both servers
		RedisFuture<List<ScoredValue<byte[]>>> fromSource = this.source.zrangeWithScores(key, 0, this.page - 1);
		RedisFuture<List<ScoredValue<byte[]>>> fromTarget = this.target.zrangeWithScores(targetKey, 0, this.page - 1);
		long length = length(shape);
		if (length < 0) {
			return false;
		}
		for (long start = 0; start < length; start += this.page) {
			if (start > 0) {
				fromSource = this.source.zrangeWithScores(key, start, start + this.page - 1);
				fromTarget = this.target.zrangeWithScores(targetKey, start, start + this.page - 1);
			}
			if (!scores(await(fromSource, this.sourceEndpoint))
				.equals(scores(await(fromTarget, this.targetEndpoint)))) {
				return false;
			}
		}
		return true;
	}

	/**
	 * Same length, and every member of the source is a member of the target: the same
	 * set. SSCAN may return a member twice, which does not change that.
	 */
	private boolean sameSet(byte[] key, byte[] targetKey, Shape shape) {
		ScanArgs args = ScanArgs.Builder.limit(this.page);
		RedisFuture<ValueScanCursor<byte[]>> next = this.source.sscan(key, ScanCursor.INITIAL, args);
		if (length(shape) < 0) {
			return false;
		}
		while (true) {
			ValueScanCursor<byte[]> scanned = await(next, this.sourceEndpoint);
			List<byte[]> members = scanned.getValues();
			if (!members.isEmpty() && !allMembers(targetKey, members)) {
				return false;
			}
			if (scanned.isFinished()) {
				return true;
			}
			next = this.source.sscan(key, scanned, args);
		}
	}

	private boolean allMembers(byte[] key, List<byte[]> members) {
		if (this.setMembership) {
			List<Boolean> found = await(this.target.smismember(key, members.toArray(byte[][]::new)),
					this.targetEndpoint);
			return !found.contains(Boolean.FALSE);
		}
		List<RedisFuture<Boolean>> found = new ArrayList<>(members.size());
		for (byte[] member : members) {
			found.add(this.target.sismember(key, member));
		}
		boolean all = true;
		for (RedisFuture<Boolean> one : found) {
			all &= Boolean.TRUE.equals(await(one, this.targetEndpoint));
		}
		return all;
	}

	/**
	 * Same length, and every field of the source has the same value in the target: the
	 * same hash.
	 */
	private boolean sameHash(byte[] key, byte[] targetKey, Shape shape) {
		ScanArgs args = ScanArgs.Builder.limit(this.page);
		RedisFuture<MapScanCursor<byte[], byte[]>> next = this.source.hscan(key, ScanCursor.INITIAL, args);
		if (length(shape) < 0) {
			return false;
		}
		while (true) {
			MapScanCursor<byte[], byte[]> scanned = await(next, this.sourceEndpoint);
			Map<byte[], byte[]> fields = scanned.getMap();
			if (!fields.isEmpty()) {
				byte[][] names = fields.keySet().toArray(byte[][]::new);
				List<KeyValue<byte[], byte[]>> values = await(this.target.hmget(targetKey, names), this.targetEndpoint);
				for (int i = 0; i < names.length; i++) {
					KeyValue<byte[], byte[]> value = values.get(i);
					if (!value.hasValue() || !Arrays.equals(value.getValue(), fields.get(names[i]))) {
						return false;
					}
				}
			}
			if (scanned.isFinished()) {
				return true;
			}
			next = this.source.hscan(key, scanned, args);
		}
	}

	private boolean sameStream(byte[] key, byte[] targetKey, Shape shape) {
		Limit limit = Limit.from(this.page);
		Range<String> range = Range.create("-", "+");
		RedisFuture<List<StreamMessage<byte[], byte[]>>> fromSource = this.source.xrange(key, range, limit);
		RedisFuture<List<StreamMessage<byte[], byte[]>>> fromTarget = this.target.xrange(targetKey, range, limit);
		if (length(shape) < 0) {
			return false;
		}
		while (true) {
			List<StreamMessage<byte[], byte[]>> sourceEntries = await(fromSource, this.sourceEndpoint);
			if (!entries(sourceEntries).equals(entries(await(fromTarget, this.targetEndpoint)))) {
				return false;
			}
			if (sourceEntries.size() < this.page) {
				return true;
			}
			range = Range.create(successor(sourceEntries.get(sourceEntries.size() - 1).getId()), "+");
			fromSource = this.source.xrange(key, range, limit);
			fromTarget = this.target.xrange(targetKey, range, limit);
		}
	}

	/**
	 * The smallest stream id after the given one (XRANGE's exclusive {@code (} needs
	 * Redis 6.2).
	 */
	static String successor(String id) {
		int dash = id.indexOf('-');
		long millis = Long.parseUnsignedLong(id.substring(0, dash));
		long sequence = Long.parseUnsignedLong(id.substring(dash + 1));
		if (sequence == -1L) {
			return Long.toUnsignedString(millis + 1) + "-0";
		}
		return Long.toUnsignedString(millis) + "-" + Long.toUnsignedString(sequence + 1);
	}

	/**
	 * The type of the value in a DUMP payload, from its RDB object type (the first byte),
	 * or {@code null} for a type this does not know.
	 * @param payload the payload
	 * @return e.g. {@code hash}
	 */
	static String typeOfPayload(byte[] payload) {
		if (payload == null || payload.length == 0) {
			return null;
		}
		return switch (payload[0]) {
			case 0 -> "string";
			case 1, 10, 14, 18 -> "list";
			case 2, 11, 20 -> "set";
			case 3, 5, 12, 17 -> "zset";
			case 4, 9, 13, 16 -> "hash";
			case 15, 19, 21 -> "stream";
			default -> null;
		};
	}

	private <T> T await(RedisFuture<T> future, Endpoint endpoint) {
		try {
			return LettuceFutures.awaitOrCancel(future, this.timeout.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (RedisCommandExecutionException ex) {
			if (RedisFailures.code(ex.getMessage()).equals("WRONGTYPE")) {
				// the key changed type since it was dumped
				throw new TypeChanged();
			}
			throw RedisFailures.describe(endpoint.role(), endpoint, ex);
		}
		catch (RuntimeException ex) {
			throw RedisFailures.describe(endpoint.role(), endpoint, ex);
		}
	}

	private static List<ByteBuffer> wrap(List<byte[]> values) {
		return values.stream().map(ByteBuffer::wrap).toList();
	}

	private static Map<ByteBuffer, ByteBuffer> wrap(Map<byte[], byte[]> values) {
		Map<ByteBuffer, ByteBuffer> result = new HashMap<>();
		values.forEach((k, v) -> result.put(ByteBuffer.wrap(k), ByteBuffer.wrap(v)));
		return result;
	}

	private static List<Object> scores(List<ScoredValue<byte[]>> values) {
		return values.stream().map((v) -> (Object) List.of(ByteBuffer.wrap(v.getValue()), v.getScore())).toList();
	}

	private static List<Object> entries(List<StreamMessage<byte[], byte[]>> messages) {
		return messages.stream().map((m) -> (Object) List.of(m.getId(), wrap(m.getBody()))).toList();
	}

	/** A key whose type differs between the servers or changed while it was compared. */
	private static final class TypeChanged extends RuntimeException {

		TypeChanged() {
			super(null, null, false, false);
		}

	}

}
