package io.keyferry.testsupport;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;

/**
 * The keys of a standalone server or of a whole cluster, as {@link KeyspaceComparison}
 * reads them: every key name (SCAN of the server, or of every master of the cluster),
 * each key's DUMP payload and expiry, and commands that read one key wherever it lives.
 * Obtain one with {@link #of(RedisServer)} or {@link #of(RedisCluster)}; it reads the
 * server or cluster as it is at each call. Not thread-safe.
 */
public abstract sealed class Keyspace permits Keyspace.Server, Keyspace.Cluster {

	private static final int BATCH = 500;

	private Keyspace() {
	}

	/**
	 * The keyspace of a standalone server (database 0).
	 * @param server the server
	 * @return its keyspace
	 */
	public static Keyspace of(RedisServer server) {
		return new Server(server);
	}

	/**
	 * The keyspace of a cluster: the keys of all its masters, each read from the master
	 * of its slot (following {@code ASK} while a slot migrates).
	 * @param cluster the cluster
	 * @return its keyspace
	 */
	public static Keyspace of(RedisCluster cluster) {
		return new Cluster(cluster);
	}

	/** Every key name. */
	abstract Set<ByteBuffer> keys();

	/** DUMP and absolute expiry time of each key. */
	abstract Map<ByteBuffer, KeyState> states(List<ByteBuffer> keys);

	/** Commands that read one key wherever it lives. */
	abstract RedisClusterCommands<byte[], byte[]> commands();

	/**
	 * A key's payload and absolute expiry time in ms (-1 persistent); {@code dump} is
	 * null when the key does not exist.
	 */
	record KeyState(byte[] dump, long expireAt) {

		boolean gone() {
			return this.dump == null;
		}

	}

	static Set<ByteBuffer> scan(RedisClusterCommands<byte[], byte[]> commands, Set<ByteBuffer> keys) {
		ScanArgs args = ScanArgs.Builder.limit(1000);
		KeyScanCursor<byte[]> cursor = commands.scan(args);
		while (true) {
			cursor.getKeys().forEach((key) -> keys.add(ByteBuffer.wrap(key)));
			if (cursor.isFinished()) {
				return keys;
			}
			cursor = commands.scan(cursor, args);
		}
	}

	/**
	 * DUMP and absolute expiry of each key, pipelined over a connection of its own. A
	 * server's PEXPIRETIME is taken less its {@link RedisServer#clockOffset()}, on this
	 * machine's clock. Before Redis 7.0 there is no PEXPIRETIME: the expiry is estimated
	 * from PTTL and this machine's clock. Keys the node redirects ({@code MOVED},
	 * {@code ASK}) are added to {@code redirected} instead.
	 */
	static void fetch(RedisServer server, List<ByteBuffer> keys, Map<ByteBuffer, KeyState> states,
			List<ByteBuffer> redirected) {
		if (keys.isEmpty()) {
			return;
		}
		boolean pexpiretime = majorVersion(server) >= 7;
		long clockOffset = server.clockOffset().toMillis();
		try (StatefulRedisConnection<byte[], byte[]> connection = server.connect()) {
			connection.setAutoFlushCommands(false);
			RedisAsyncCommands<byte[], byte[]> commands = connection.async();
			for (int from = 0; from < keys.size(); from += BATCH) {
				List<ByteBuffer> batch = keys.subList(from, Math.min(keys.size(), from + BATCH));
				List<RedisFuture<byte[]>> dumps = new ArrayList<>(batch.size());
				List<RedisFuture<Long>> expiries = new ArrayList<>(batch.size());
				for (ByteBuffer key : batch) {
					byte[] name = key.array();
					dumps.add(commands.dump(name));
					expiries.add(pexpiretime ? commands.pexpiretime(name) : commands.pttl(name));
				}
				// PTTL counts from when the server ran it, which is after this.
				long sent = System.currentTimeMillis();
				connection.flushCommands();
				for (int i = 0; i < batch.size(); i++) {
					byte[] dump;
					long expiry;
					try {
						dump = await(dumps.get(i));
						expiry = await(expiries.get(i));
					}
					catch (Redirected ex) {
						redirected.add(batch.get(i));
						continue;
					}
					if (!pexpiretime && expiry >= 0) {
						expiry += sent;
					}
					else if (expiry >= 0) {
						// on this machine's clock, so servers with shifted clocks compare
						expiry -= clockOffset;
					}
					states.put(batch.get(i), new KeyState(dump, (dump != null) ? expiry : -2));
				}
			}
		}
	}

	static int majorVersion(RedisServer server) {
		String version = server.version();
		return Integer.parseInt(version.substring(0, version.indexOf('.')));
	}

	private static <T> T await(RedisFuture<T> future) {
		try {
			return future.get(30, TimeUnit.SECONDS);
		}
		catch (ExecutionException ex) {
			String message = String.valueOf(ex.getCause().getMessage());
			if (message.startsWith("MOVED ") || message.startsWith("ASK ")) {
				throw new Redirected();
			}
			throw new IllegalStateException("comparing keyspaces failed: " + ex.getCause().getMessage(), ex);
		}
		catch (TimeoutException ex) {
			throw new IllegalStateException("comparing keyspaces timed out", ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("interrupted while comparing keyspaces", ex);
		}
	}

	/** A node answered MOVED or ASK. */
	private static final class Redirected extends RuntimeException {

		private static final long serialVersionUID = 1L;

		Redirected() {
			super(null, null, false, false);
		}

	}

	/** A standalone server. */
	static final class Server extends Keyspace {

		private final RedisServer server;

		private Server(RedisServer server) {
			this.server = server;
		}

		@Override
		Set<ByteBuffer> keys() {
			return scan(this.server.binarySync(), new HashSet<>());
		}

		@Override
		Map<ByteBuffer, KeyState> states(List<ByteBuffer> keys) {
			Map<ByteBuffer, KeyState> states = new HashMap<>();
			List<ByteBuffer> redirected = new ArrayList<>();
			fetch(this.server, keys, states, redirected);
			if (!redirected.isEmpty()) {
				throw new IllegalStateException(this.server + " redirected " + redirected.size()
						+ " keys: it is a cluster node, compare Keyspace.of(cluster)");
			}
			return states;
		}

		@Override
		RedisClusterCommands<byte[], byte[]> commands() {
			return this.server.binarySync();
		}

		@Override
		public String toString() {
			return this.server.toString();
		}

	}

	/** A cluster: every master scanned, every key read from its slot's master. */
	static final class Cluster extends Keyspace {

		private final RedisCluster cluster;

		private Cluster(RedisCluster cluster) {
			this.cluster = cluster;
		}

		@Override
		Set<ByteBuffer> keys() {
			Set<ByteBuffer> keys = new HashSet<>();
			for (RedisCluster.Node master : this.cluster.masters()) {
				scan(master.server().binarySync(), keys);
			}
			return keys;
		}

		@Override
		Map<ByteBuffer, KeyState> states(List<ByteBuffer> keys) {
			RedisCluster.Node[] owners = this.cluster.slotOwners();
			Map<RedisCluster.Node, List<ByteBuffer>> byMaster = new LinkedHashMap<>();
			for (ByteBuffer key : keys) {
				byMaster.computeIfAbsent(owners[RedisCluster.slotOf(key.array())], (node) -> new ArrayList<>())
					.add(key);
			}
			Map<ByteBuffer, KeyState> states = new HashMap<>();
			List<ByteBuffer> redirected = new ArrayList<>();
			byMaster.forEach((master, masterKeys) -> fetch(master.server(), masterKeys, states, redirected));
			// A key of a migrating slot that has moved: the cluster connection follows
			// ASK.
			RedisClusterCommands<byte[], byte[]> commands = commands();
			boolean pexpiretime = majorVersion(owners[0].server()) >= 7;
			for (ByteBuffer key : redirected) {
				byte[] name = key.array();
				byte[] dump = commands.dump(name);
				long expiry = pexpiretime ? commands.pexpiretime(name) : commands.pttl(name);
				if (!pexpiretime && expiry >= 0) {
					expiry += System.currentTimeMillis();
				}
				states.put(key, new KeyState(dump, (dump != null) ? expiry : -2));
			}
			return states;
		}

		@Override
		RedisClusterCommands<byte[], byte[]> commands() {
			return this.cluster.binarySync();
		}

		@Override
		public String toString() {
			return this.cluster.toString();
		}

	}

}
