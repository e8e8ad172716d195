package io.keyferry.testsupport;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;

import io.keyferry.testsupport.Keyspace.KeyState;
import io.lettuce.core.Range;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;

import static org.assertj.core.api.Assertions.fail;

/**
 * Compares two keyspaces (standalone servers or clusters, see {@link Keyspace}) key by
 * key: the same key names (SCAN), the same value, and the same expiry time (PEXPIRETIME;
 * PTTL on servers before 7.0) within a tolerance, -1 on both for persistent keys. Expiry
 * times are compared on this machine's clock, so a server started with a shifted clock
 * compares by remaining time to live. Values are equal when their DUMP payloads are; when
 * the payloads differ the values are read and compared by type, because a hash-table
 * encoded set or hash serializes in the order of its process's hash seed, and because
 * payloads of different Redis versions differ. A key that vanishes from the source during
 * the comparison (it expired) is not counted. Immutable.
 */
public final class KeyspaceComparison {

	/** The default tolerance for expiry times. */
	public static final Duration DEFAULT_TTL_TOLERANCE = Duration.ofMillis(50);

	/**
	 * A loose tolerance for copies that run in other JVMs, resume, or run on a schedule:
	 * TTL precision is proven by the in-process copy tests, while there several JVMs
	 * share two cores and scheduling stalls of tens of milliseconds (seen: 54 ms) between
	 * a DUMP and its RESTORE blur the expiry a copy computes. A lost, reset or added TTL
	 * still fails.
	 */
	public static final Duration LOOSE_TTL_TOLERANCE = Duration.ofSeconds(1);

	private static final int REPORTED = 20;

	/** How a key differs. */
	public enum Status {

		/** In the source, not in the target. */
		MISSING,

		/** In the target, not in the source. */
		EXTRA,

		/** Different DUMP payloads (value or type). */
		VALUE,

		/** Different expiry times, or persistent on one side only. */
		TTL

	}

	/**
	 * One difference.
	 *
	 * @param status how the key differs
	 * @param key the key name
	 * @param detail what differs, may be empty
	 */
	public record Difference(Status status, byte[] key, String detail) {

		/**
		 * The key name with non-printable bytes escaped as {@code \xNN}.
		 * @return the printable key name
		 */
		public String printableKey() {
			return printable(this.key);
		}

		@Override
		public String toString() {
			return this.status + " " + printableKey() + (this.detail.isEmpty() ? "" : ": " + this.detail);
		}

	}

	private final int sourceKeys;

	private final int targetKeys;

	private final List<Difference> differences;

	private KeyspaceComparison(int sourceKeys, int targetKeys, List<Difference> differences) {
		this.sourceKeys = sourceKeys;
		this.targetKeys = targetKeys;
		this.differences = List.copyOf(differences);
	}

	/**
	 * Asserts that both servers hold the same keys, values and expiry times (within
	 * {@link #DEFAULT_TTL_TOLERANCE}).
	 * @param source the source server
	 * @param target the target server
	 */
	public static void assertSameContent(RedisServer source, RedisServer target) {
		assertSameContent(source, target, DEFAULT_TTL_TOLERANCE);
	}

	/**
	 * Asserts that both servers hold the same keys, values and expiry times.
	 * @param source the source server
	 * @param target the target server
	 * @param ttlTolerance the largest accepted difference between expiry times
	 */
	public static void assertSameContent(RedisServer source, RedisServer target, Duration ttlTolerance) {
		KeyspaceComparison comparison = compare(source, target, ttlTolerance);
		if (!comparison.isSame()) {
			fail(comparison.report());
		}
	}

	/**
	 * Compares two servers.
	 * @param source the source server
	 * @param target the target server
	 * @param ttlTolerance the largest accepted difference between expiry times
	 * @return the comparison
	 */
	public static KeyspaceComparison compare(RedisServer source, RedisServer target, Duration ttlTolerance) {
		return compare(Keyspace.of(source), Keyspace.of(target), ttlTolerance);
	}

	/**
	 * Asserts that two keyspaces (servers or clusters, in any combination) hold the same
	 * keys, values and expiry times (within {@link #DEFAULT_TTL_TOLERANCE}).
	 * @param source the source keyspace
	 * @param target the target keyspace
	 */
	public static void assertSameContent(Keyspace source, Keyspace target) {
		assertSameContent(source, target, DEFAULT_TTL_TOLERANCE);
	}

	/**
	 * Asserts that two keyspaces (servers or clusters, in any combination) hold the same
	 * keys, values and expiry times.
	 * @param source the source keyspace
	 * @param target the target keyspace
	 * @param ttlTolerance the largest accepted difference between expiry times
	 */
	public static void assertSameContent(Keyspace source, Keyspace target, Duration ttlTolerance) {
		KeyspaceComparison comparison = compare(source, target, ttlTolerance);
		if (!comparison.isSame()) {
			fail(comparison.report());
		}
	}

	/**
	 * Compares two keyspaces: servers or clusters, in any combination.
	 * @param source the source keyspace, e.g. {@code Keyspace.of(cluster)}
	 * @param target the target keyspace
	 * @param ttlTolerance the largest accepted difference between expiry times
	 * @return the comparison
	 */
	public static KeyspaceComparison compare(Keyspace source, Keyspace target, Duration ttlTolerance) {
		return compare(source, target, ttlTolerance, (key) -> key);
	}

	/**
	 * Compares two keyspaces where the target holds each source key under a name of its
	 * own (e.g. {@code --rename-prefix}), or not at all (e.g. {@code --match}).
	 * Differences name the source key; an extra key is a target key no source key maps
	 * to.
	 * @param source the source keyspace
	 * @param target the target keyspace
	 * @param ttlTolerance the largest accepted difference between expiry times
	 * @param targetName the target's name of a source key, {@code null} for a key that
	 * must not be copied
	 * @return the comparison
	 */
	public static KeyspaceComparison compare(Keyspace source, Keyspace target, Duration ttlTolerance,
			UnaryOperator<ByteBuffer> targetName) {
		Set<ByteBuffer> allSourceKeys = source.keys();
		Map<ByteBuffer, ByteBuffer> names = new HashMap<>();
		for (ByteBuffer key : allSourceKeys) {
			ByteBuffer name = targetName.apply(key);
			if (name != null) {
				names.put(key, name);
			}
		}
		Set<ByteBuffer> sourceKeys = names.keySet();
		Set<ByteBuffer> expectedNames = new HashSet<>(names.values());
		Set<ByteBuffer> targetKeys = target.keys();
		List<ByteBuffer> sourceOrder = new ArrayList<>(sourceKeys);
		List<ByteBuffer> targetOrder = sourceOrder.stream().map(names::get).toList();
		Map<ByteBuffer, KeyState> sourceStates = source.states(sourceOrder);
		Map<ByteBuffer, KeyState> targetStates = target.states(targetOrder);
		List<ByteBuffer> extra = targetKeys.stream().filter((key) -> !expectedNames.contains(key)).toList();
		Map<ByteBuffer, KeyState> extraStates = target.states(extra);
		List<Difference> differences = new ArrayList<>();
		long tolerance = ttlTolerance.toMillis();
		for (ByteBuffer key : sourceOrder) {
			KeyState expected = sourceStates.get(key);
			KeyState actual = targetStates.get(names.get(key));
			if (expected.gone()) {
				continue;
			}
			byte[] name = bytes(key);
			if (actual.gone()) {
				differences.add(new Difference(Status.MISSING, name, ""));
				continue;
			}
			if (!Arrays.equals(expected.dump(), actual.dump())) {
				String valueProblem = compareValues(source.commands(), target.commands(), name, bytes(names.get(key)));
				if (valueProblem != null) {
					differences.add(new Difference(Status.VALUE, name, valueProblem));
				}
			}
			String ttlProblem = compareExpiry(expected.expireAt(), actual.expireAt(), tolerance);
			if (ttlProblem != null) {
				differences.add(new Difference(Status.TTL, name, ttlProblem));
			}
		}
		for (ByteBuffer key : extra) {
			if (!extraStates.get(key).gone()) {
				differences.add(new Difference(Status.EXTRA, bytes(key), ""));
			}
		}
		differences.sort(Comparator.comparing(Difference::key, Arrays::compareUnsigned));
		return new KeyspaceComparison(sourceKeys.size(), targetKeys.size(), differences);
	}

	public List<Difference> differences() {
		return this.differences;
	}

	/**
	 * The differences of one kind.
	 * @param status the kind
	 * @return the differences of that kind
	 */
	public List<Difference> differences(Status status) {
		return this.differences.stream().filter((difference) -> difference.status() == status).toList();
	}

	public boolean isSame() {
		return this.differences.isEmpty();
	}

	/** The number of keys the source SCAN returned. */
	public int sourceKeys() {
		return this.sourceKeys;
	}

	/** The number of keys the target SCAN returned. */
	public int targetKeys() {
		return this.targetKeys;
	}

	/**
	 * A summary with the first differences.
	 * @return the report
	 */
	public String report() {
		if (isSame()) {
			return "source and target hold the same " + this.sourceKeys + " keys";
		}
		StringBuilder report = new StringBuilder();
		report.append("source (")
			.append(this.sourceKeys)
			.append(" keys) and target (")
			.append(this.targetKeys)
			.append(" keys) differ in ")
			.append(this.differences.size())
			.append(" places:");
		this.differences.stream().limit(REPORTED).forEach((difference) -> report.append("\n  ").append(difference));
		if (this.differences.size() > REPORTED) {
			report.append("\n  ... and ").append(this.differences.size() - REPORTED).append(" more");
		}
		return report.toString();
	}

	@Override
	public String toString() {
		return report();
	}

	/**
	 * A key name with printable ASCII kept and every other byte (and the backslash)
	 * escaped as {@code \xNN}, like redis-cli.
	 * @param key the key name
	 * @return the printable name
	 */
	public static String printable(byte[] key) {
		StringBuilder printable = new StringBuilder();
		for (byte b : key) {
			int c = b & 0xff;
			if (c >= 0x20 && c < 0x7f && c != '\\') {
				printable.append((char) c);
			}
			else {
				printable.append(String.format("\\x%02x", c));
			}
		}
		return printable.toString();
	}

	private static String compareExpiry(long expected, long actual, long tolerance) {
		if (expected == -1 && actual == -1) {
			return null;
		}
		if (expected == -1) {
			return "source persistent, target expires at " + actual;
		}
		if (actual == -1) {
			return "source expires at " + expected + ", target persistent";
		}
		long difference = Math.abs(expected - actual);
		if (difference > tolerance) {
			return "expiry differs by " + difference + " ms (source " + expected + ", target " + actual + ", tolerance "
					+ tolerance + " ms)";
		}
		return null;
	}

	/**
	 * Compares two values by content, for keys whose DUMP payloads differ.
	 * @return what differs, or {@code null} when the values are equal
	 */
	private static String compareValues(RedisClusterCommands<byte[], byte[]> source,
			RedisClusterCommands<byte[], byte[]> target, byte[] key, byte[] targetKey) {
		String sourceType = source.type(key);
		String targetType = target.type(targetKey);
		if (!sourceType.equals(targetType)) {
			return "types differ (source " + sourceType + ", target " + targetType + ")";
		}
		if (Objects.equals(content(source, sourceType, key), content(target, targetType, targetKey))) {
			return null;
		}
		return sourceType + " values differ";
	}

	/** A value in a form that compares equal exactly when the values are equal. */
	private static Object content(RedisClusterCommands<byte[], byte[]> commands, String type, byte[] key) {
		return switch (type) {
			case "string" -> hex(commands.get(key));
			case "list" -> commands.lrange(key, 0, -1).stream().map(KeyspaceComparison::hex).toList();
			case "set" -> commands.smembers(key).stream().map(KeyspaceComparison::hex).sorted().toList();
			case "hash" -> commands.hgetall(key)
				.entrySet()
				.stream()
				.map((entry) -> hex(entry.getKey()) + "=" + hex(entry.getValue()))
				.sorted()
				.toList();
			case "zset" -> commands.zrangeWithScores(key, 0, -1)
				.stream()
				.map((scored) -> scored.getScore() + ":" + hex(scored.getValue()))
				.toList();
			case "stream" -> List.of(commands.xrange(key, Range.create("-", "+"))
				.stream()
				.map((message) -> message.getId() + normalize(new ArrayList<>(message.getBody().entrySet())))
				.toList(), streamMetadata(commands, key));
			case "none" -> "none";
			default -> throw new IllegalStateException("cannot compare values of type " + type);
		};
	}

	/**
	 * What a stream holds besides its entries, in the fields every Redis version since
	 * 6.2 reports (so that two versions compare): its last id, and per consumer group its
	 * last-delivered id, consumers and pending entries (id, consumer, deliveries).
	 */
	private static Object streamMetadata(RedisClusterCommands<byte[], byte[]> commands, byte[] key) {
		List<Object> metadata = new ArrayList<>();
		metadata.add("last-generated-id=" + normalize(fields(commands.xinfoStream(key)).get("last-generated-id")));
		for (Object group : commands.xinfoGroups(key)) {
			Map<String, Object> fields = fields((List<?>) group);
			byte[] name = (byte[]) fields.get("name");
			List<String> consumers = commands.xinfoConsumers(key, name)
				.stream()
				.map((consumer) -> fields((List<?>) consumer))
				.map((consumer) -> normalize(consumer.get("name")) + ":" + consumer.get("pending"))
				.sorted()
				.toList();
			List<String> pending = commands
				.xpending(key, name, Range.create("-", "+"), io.lettuce.core.Limit.create(0, Integer.MAX_VALUE))
				.stream()
				.map((entry) -> entry.getId() + "@" + entry.getConsumer() + "x" + entry.getRedeliveryCount())
				.toList();
			metadata.add(List.of(normalize(name), String.valueOf(normalize(fields.get("last-delivered-id"))),
					String.valueOf(fields.get("pending")), consumers, pending));
		}
		return metadata;
	}

	private static Map<String, Object> fields(List<?> reply) {
		Map<String, Object> map = new java.util.LinkedHashMap<>();
		for (int i = 0; i + 1 < reply.size(); i += 2) {
			map.put(new String((byte[]) reply.get(i), java.nio.charset.StandardCharsets.UTF_8), reply.get(i + 1));
		}
		return map;
	}

	/**
	 * Nested replies with byte arrays turned into hex strings, so that equals compares
	 * content.
	 */
	private static Object normalize(Object reply) {
		if (reply instanceof byte[] bytes) {
			return hex(bytes);
		}
		if (reply instanceof Map.Entry<?, ?> entry) {
			return normalize(entry.getKey()) + "=" + normalize(entry.getValue());
		}
		if (reply instanceof List<?> list) {
			return list.stream().map(KeyspaceComparison::normalize).toList();
		}
		return String.valueOf(reply);
	}

	private static String hex(byte[] bytes) {
		return (bytes != null) ? HexFormat.of().formatHex(bytes) : "null";
	}

	private static byte[] bytes(ByteBuffer key) {
		return key.array();
	}

}
