package io.keyferry.testsupport;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.XReadArgs.StreamOffset;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;

/**
 * Deterministic sample data: {@code count} keys cycling through every type (string, hash,
 * list, set, sorted set, stream; every 50th collection large enough for its non-compact
 * encoding, every other stream with a consumer group), a fraction of them with a TTL, the
 * first three with binary names (containing {@code \x00}, {@code \xff} and a newline),
 * optionally all with {@code {hash tags}}. Loaded over one pipelined connection, or one
 * per master of a cluster. Immutable and thread-safe; one seed gives the same keys and
 * values every time, but expiry times are relative to the moment of loading.
 */
public final class TestData {

	/** The types in the order keys cycle through them. */
	public enum Type {

		STRING, HASH, LIST, SET, ZSET, STREAM

	}

	private static final byte[][] BINARY_SUFFIXES = { { ':', 0x00, 'z' }, { ':', (byte) 0xff, 'z' },
			{ ':', '\n', 'z' } };

	private static final int BATCH = 1000;

	/**
	 * More elements than any compact encoding holds by default (512 for hashes and
	 * intsets).
	 */
	private static final int LARGE = 600;

	private final int count;

	private final long seed;

	private final double ttlFraction;

	private final Duration minTtl;

	private final Duration maxTtl;

	private final String prefix;

	private final int valueSize;

	private final int hashTags;

	private TestData(int count, long seed, double ttlFraction, Duration minTtl, Duration maxTtl, String prefix,
			int valueSize, int hashTags) {
		if (count < 0 || ttlFraction < 0 || ttlFraction > 1 || minTtl.compareTo(maxTtl) > 0 || minTtl.isNegative()
				|| minTtl.isZero() || valueSize < 1 || hashTags < 0) {
			throw new IllegalArgumentException("invalid test data settings");
		}
		this.count = count;
		this.seed = seed;
		this.ttlFraction = ttlFraction;
		this.minTtl = minTtl;
		this.maxTtl = maxTtl;
		this.prefix = prefix;
		this.valueSize = valueSize;
		this.hashTags = hashTags;
	}

	/**
	 * {@code count} keys, seed 42, 30% with a TTL between 10 minutes and 1 hour, prefix
	 * {@code kf:}, 32-byte values.
	 * @param count the number of keys
	 * @return the settings
	 */
	public static TestData keys(int count) {
		return new TestData(count, 42, 0.3, Duration.ofMinutes(10), Duration.ofHours(1), "kf:", 32, 0);
	}

	public TestData seed(long seed) {
		return new TestData(this.count, seed, this.ttlFraction, this.minTtl, this.maxTtl, this.prefix, this.valueSize,
				this.hashTags);
	}

	/**
	 * The share of keys that get a TTL.
	 * @param ttlFraction between 0 and 1
	 * @return new settings
	 */
	public TestData ttlFraction(double ttlFraction) {
		return new TestData(this.count, this.seed, ttlFraction, this.minTtl, this.maxTtl, this.prefix, this.valueSize,
				this.hashTags);
	}

	/**
	 * The range TTLs are drawn from; short ones make keys expire during a test.
	 * @param min the shortest TTL (positive)
	 * @param max the longest TTL
	 * @return new settings
	 */
	public TestData ttl(Duration min, Duration max) {
		return new TestData(this.count, this.seed, this.ttlFraction, min, max, this.prefix, this.valueSize,
				this.hashTags);
	}

	public TestData prefix(String prefix) {
		return new TestData(this.count, this.seed, this.ttlFraction, this.minTtl, this.maxTtl, prefix, this.valueSize,
				this.hashTags);
	}

	/**
	 * The size of string values and of collection elements' values.
	 * @param valueSize bytes, at least 1
	 * @return new settings
	 */
	public TestData valueSize(int valueSize) {
		return new TestData(this.count, this.seed, this.ttlFraction, this.minTtl, this.maxTtl, this.prefix, valueSize,
				this.hashTags);
	}

	/**
	 * Gives every key one of {@code tags} hash tags, e.g. {@code kf:{t3}:hash:7}: the
	 * keys of one tag share a cluster slot. 0 (the default) gives none.
	 * @param tags the number of distinct tags
	 * @return new settings
	 */
	public TestData hashTags(int tags) {
		return new TestData(this.count, this.seed, this.ttlFraction, this.minTtl, this.maxTtl, this.prefix,
				this.valueSize, tags);
	}

	/**
	 * The type of the key at an index.
	 * @param index the key index
	 * @return its type
	 */
	public static Type typeOf(int index) {
		return Type.values()[index % Type.values().length];
	}

	/**
	 * The key names, in loading order, e.g. {@code kf:hash:7}.
	 * @return the names
	 */
	public List<byte[]> keyNames() {
		List<byte[]> names = new ArrayList<>(this.count);
		for (int i = 0; i < this.count; i++) {
			names.add(keyName(i));
		}
		return names;
	}

	/**
	 * Loads the keys, replacing any of the same names, and waits for every reply.
	 * @param server the server
	 * @return the key names, as {@link #keyNames()}
	 */
	public List<byte[]> loadInto(RedisServer server) {
		try {
			return load(server);
		}
		catch (IllegalStateException ex) {
			if (!(ex.getCause() instanceof java.util.concurrent.ExecutionException cause)
					|| !(cause.getCause() instanceof io.lettuce.core.RedisException)) {
				throw ex;
			}
			// the connection dropped (seen once in ~10 full runs): loading is idempotent,
			// so
			// load again on a fresh connection
			return load(server);
		}
	}

	/**
	 * Loads the keys into a cluster, each pipelined to the master of its slot, replacing
	 * any of the same names, and waits for every reply. No slot may be migrating.
	 * @param cluster the cluster
	 * @return the key names, as {@link #keyNames()}
	 */
	public List<byte[]> loadInto(RedisCluster cluster) {
		RedisCluster.Node[] owners = cluster.slotOwners();
		Map<RedisCluster.Node, StatefulRedisConnection<byte[], byte[]>> connections = new HashMap<>();
		try {
			return load((key) -> connections.computeIfAbsent(owners[RedisCluster.slotOf(key)],
					(node) -> node.server().connect()));
		}
		finally {
			connections.values().forEach(StatefulRedisConnection::close);
		}
	}

	private List<byte[]> load(RedisServer server) {
		try (StatefulRedisConnection<byte[], byte[]> connection = server.connect()) {
			return load((key) -> connection);
		}
	}

	/**
	 * Loads the keys, each over the connection {@code route} gives for it. The
	 * connections are ours alone: batching their flushes is safe.
	 */
	private List<byte[]> load(Function<byte[], StatefulRedisConnection<byte[], byte[]>> route) {
		SplittableRandom random = new SplittableRandom(this.seed);
		List<byte[]> names = new ArrayList<>(this.count);
		Set<StatefulRedisConnection<byte[], byte[]>> connections = new LinkedHashSet<>();
		List<RedisFuture<?>> pending = new ArrayList<>();
		for (int i = 0; i < this.count; i++) {
			byte[] key = keyName(i);
			names.add(key);
			StatefulRedisConnection<byte[], byte[]> connection = route.apply(key);
			if (connections.add(connection)) {
				connection.setAutoFlushCommands(false);
			}
			RedisAsyncCommands<byte[], byte[]> commands = connection.async();
			pending.add(commands.del(key));
			write(commands, pending, key, i, random);
			if (random.nextDouble() < this.ttlFraction) {
				long ttl = random.nextLong(this.minTtl.toMillis(), this.maxTtl.toMillis() + 1);
				pending.add(commands.pexpire(key, ttl));
			}
			if (pending.size() >= BATCH) {
				flush(connections, pending);
			}
		}
		flush(connections, pending);
		return names;
	}

	private void write(RedisAsyncCommands<byte[], byte[]> commands, List<RedisFuture<?>> pending, byte[] key, int index,
			SplittableRandom random) {
		Type type = typeOf(index);
		int elements = (index % 50 == 49) ? LARGE : 1 + random.nextInt(8);
		switch (type) {
			case STRING -> pending.add(commands.set(key, bytes(random, this.valueSize)));
			case HASH -> {
				Map<byte[], byte[]> fields = new LinkedHashMap<>();
				for (int j = 0; j < elements; j++) {
					fields.put(ascii("f" + j), bytes(random, this.valueSize));
				}
				pending.add(commands.hset(key, fields));
			}
			case LIST -> {
				byte[][] values = new byte[elements][];
				for (int j = 0; j < elements; j++) {
					values[j] = bytes(random, this.valueSize);
				}
				pending.add(commands.rpush(key, values));
			}
			case SET -> {
				// Every other set holds integers only: the intset encoding.
				boolean integers = (index / Type.values().length) % 2 == 0;
				byte[][] members = new byte[elements][];
				for (int j = 0; j < elements; j++) {
					members[j] = integers ? ascii(Long.toString(random.nextLong(1_000_000_000L)))
							: ascii("m" + j + ":" + random.nextInt(1_000_000));
				}
				pending.add(commands.sadd(key, members));
			}
			case ZSET -> {
				@SuppressWarnings({ "unchecked", "rawtypes" })
				ScoredValue<byte[]>[] members = new ScoredValue[elements];
				for (int j = 0; j < elements; j++) {
					members[j] = ScoredValue.just(random.nextInt(100_000) / 10.0, ascii("m" + j));
				}
				pending.add(commands.zadd(key, members));
			}
			case STREAM -> {
				for (int j = 1; j <= elements; j++) {
					pending.add(commands.xadd(key, new XAddArgs().id("1-" + j),
							Map.of(ascii("f"), bytes(random, this.valueSize))));
				}
				if ((index / Type.values().length) % 2 == 1) {
					pending.add(commands.xgroupCreate(StreamOffset.from(key, "0-0"), ascii("group")));
				}
			}
		}
	}

	private byte[] keyName(int index) {
		String tag = (this.hashTags > 0) ? "{t" + (index % this.hashTags) + "}:" : "";
		byte[] name = ascii(this.prefix + tag + typeOf(index).name().toLowerCase(Locale.ROOT) + ":" + index);
		if (index >= BINARY_SUFFIXES.length) {
			return name;
		}
		byte[] suffix = BINARY_SUFFIXES[index];
		byte[] binary = new byte[name.length + suffix.length];
		System.arraycopy(name, 0, binary, 0, name.length);
		System.arraycopy(suffix, 0, binary, name.length, suffix.length);
		return binary;
	}

	private static void flush(Set<StatefulRedisConnection<byte[], byte[]>> connections, List<RedisFuture<?>> pending) {
		connections.forEach(StatefulRedisConnection::flushCommands);
		for (RedisFuture<?> future : pending) {
			try {
				future.get(30, TimeUnit.SECONDS);
			}
			catch (ExecutionException ex) {
				throw new IllegalStateException("loading test data failed: " + ex.getCause().getMessage(), ex);
			}
			catch (TimeoutException ex) {
				throw new IllegalStateException("loading test data timed out", ex);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException("interrupted while loading test data", ex);
			}
		}
		pending.clear();
	}

	private static byte[] bytes(SplittableRandom random, int size) {
		byte[] bytes = new byte[size];
		random.nextBytes(bytes);
		return bytes;
	}

	private static byte[] ascii(String value) {
		return value.getBytes(StandardCharsets.US_ASCII);
	}

}
