package io.keyferry.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.ByteArrayOutput;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.protocol.CommandKeyword;
import io.lettuce.core.protocol.CommandType;

/**
 * Reads DUMP and the expiry of many keys in one pipelined batch: {@code PEXPIRETIME} (an
 * absolute time in the source's clock, converted with the measured clock offset) on Redis
 * 7 and newer, otherwise {@code PTTL} counted from the midpoint of the batch's round
 * trip; and, for a target that evicts by them, each key's idle time or access frequency
 * ({@code OBJECT IDLETIME}/{@code FREQ}, sent before DUMP, which counts as a use of the
 * key on Redis before 7.2). The commands go out with one {@code dispatch}
 * ({@link Pipeline}), so a shared connection is flushed once per batch without touching
 * its connection-wide auto-flush setting. Thread-safe: many threads may fetch on one
 * connection at once.
 */
public final class DumpFetcher {

	private static final ByteArrayCodec CODEC = ByteArrayCodec.INSTANCE;

	private final StatefulRedisConnection<byte[], byte[]> connection;

	private final Duration timeout;

	private final boolean absoluteExpiry;

	private final long sourceOffsetMillis;

	private final AccessTracking tracking;

	/**
	 * Creates a fetcher.
	 * @param connection the source connection
	 * @param timeout how long to wait for a batch
	 * @param absoluteExpiry whether the source has {@code PEXPIRETIME} (Redis 7+)
	 * @param sourceOffsetMillis the source's clock minus this machine's
	 */
	public DumpFetcher(StatefulRedisConnection<byte[], byte[]> connection, Duration timeout, boolean absoluteExpiry,
			long sourceOffsetMillis) {
		this(connection, timeout, absoluteExpiry, sourceOffsetMillis, AccessTracking.NONE);
	}

	/**
	 * Creates a fetcher that also reads each key's idle time or access frequency.
	 * @param connection the source connection
	 * @param timeout how long to wait for a batch
	 * @param absoluteExpiry whether the source has {@code PEXPIRETIME} (Redis 7+)
	 * @param sourceOffsetMillis the source's clock minus this machine's
	 * @param tracking what to read: {@link AccessTracking#LRU} the idle time,
	 * {@link AccessTracking#LFU} the frequency (the source's policy must be LFU),
	 * {@link AccessTracking#NONE} nothing
	 */
	public DumpFetcher(StatefulRedisConnection<byte[], byte[]> connection, Duration timeout, boolean absoluteExpiry,
			long sourceOffsetMillis, AccessTracking tracking) {
		this.tracking = tracking;
		this.connection = connection;
		this.timeout = timeout;
		this.absoluteExpiry = absoluteExpiry;
		this.sourceOffsetMillis = sourceOffsetMillis;
	}

	private static boolean movedAway(RedisCommandExecutionException ex) {
		String message = String.valueOf(ex.getMessage());
		return message.startsWith("MOVED ") || message.startsWith("ASK ");
	}

	/**
	 * The commands a fetcher sends for each key.
	 * @param absoluteExpiry whether the source has {@code PEXPIRETIME}
	 * @return the command names, lower case as ACL rules spell them
	 */
	public static List<String> commands(boolean absoluteExpiry) {
		return List.of("dump", absoluteExpiry ? "pexpiretime" : "pttl");
	}

	/**
	 * A key's idle time or frequency, {@link KeyDump#UNTRACKED} when it was gone or the
	 * source would not tell (its policy changed, OBJECT denied since the partition
	 * started): the key is copied all the same, looking new to the target.
	 */
	private static long used(Pipeline.Reply<Long> reply) {
		try {
			Long value = reply.get();
			return (value != null && value >= 0) ? value : KeyDump.UNTRACKED;
		}
		catch (RedisCommandExecutionException ex) {
			return KeyDump.UNTRACKED;
		}
	}

	/**
	 * Fetches the keys' payloads and TTLs.
	 * @param keys the keys
	 * @return one dump per key, in order
	 */
	public List<KeyDump> fetch(List<byte[]> keys) {
		int n = keys.size();
		if (n == 0) {
			return List.of();
		}
		CommandKeyword access = switch (this.tracking) {
			case LRU -> CommandKeyword.IDLETIME;
			case LFU -> CommandKeyword.FREQ;
			case NONE -> null;
		};
		Pipeline batch = new Pipeline(((access != null) ? 3 : 2) * n);
		List<Pipeline.Reply<Long>> uses = (access != null) ? new ArrayList<>(n) : null;
		List<Pipeline.Reply<byte[]>> dumps = new ArrayList<>(n);
		List<Pipeline.Reply<Long>> ttls = new ArrayList<>(n);
		CommandType expiry = this.absoluteExpiry ? CommandType.PEXPIRETIME : CommandType.PTTL;
		for (byte[] key : keys) {
			if (access != null) {
				// before DUMP: on Redis before 7.2 DUMP resets the idle time and counts
				// as an access
				uses.add(batch.add(CommandType.OBJECT, new IntegerOutput<>(CODEC), access, key));
			}
			dumps.add(batch.add(CommandType.DUMP, new ByteArrayOutput<>(CODEC), key));
			ttls.add(batch.add(expiry, new IntegerOutput<>(CODEC), key));
		}
		long sentNanos = System.nanoTime();
		long sentMillis = System.currentTimeMillis();
		batch.send(this.connection);
		try {
			batch.await(sentNanos + this.timeout.toNanos());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new RedisException("interrupted");
		}
		// replies that did not come in time throw a timeout here
		byte[][] payloads = new byte[n][];
		long[] expiries = new long[n];
		long[] used = (uses != null) ? new long[n] : null;
		for (int i = 0; i < n; i++) {
			if (used != null) {
				used[i] = used(uses.get(i));
			}
			try {
				payloads[i] = dumps.get(i).get();
				Long reply = ttls.get(i).get();
				expiries[i] = (reply != null) ? reply : -2;
			}
			catch (RedisCommandExecutionException ex) {
				if (!movedAway(ex)) {
					throw ex;
				}
				// a cluster node migrated the key's slot since SCAN: the node no longer
				// serves the slot, so the partition stops at its next checkpoint and the
				// slot's new master is scanned (see ClusterSource.identity)
				payloads[i] = null;
				expiries[i] = -2;
			}
		}
		// PTTL counts from when the server ran it: somewhere in the round trip, so its
		// midpoint
		double midpointMillis = sentMillis + (System.nanoTime() - sentNanos) / 2e6;
		List<KeyDump> result = new ArrayList<>(n);
		for (int i = 0; i < n; i++) {
			long reply = expiries[i];
			long expireAt;
			if (reply == -1) {
				expireAt = KeyDump.PERSISTENT;
			}
			else if (reply < -1) {
				expireAt = KeyDump.GONE;
			}
			else if (this.absoluteExpiry) {
				expireAt = reply - this.sourceOffsetMillis;
			}
			else {
				expireAt = Math.round(midpointMillis) + reply;
			}
			if (used == null) {
				result.add(new KeyDump(keys.get(i), payloads[i], expireAt));
			}
			else if (this.tracking == AccessTracking.LRU) {
				result.add(new KeyDump(keys.get(i), payloads[i], expireAt, used[i], KeyDump.UNTRACKED));
			}
			else {
				result.add(new KeyDump(keys.get(i), payloads[i], expireAt, KeyDump.UNTRACKED, (int) used[i]));
			}
		}
		return result;
	}

}
