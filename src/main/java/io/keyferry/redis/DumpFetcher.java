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
 * its connection-wide auto-flush setting.
 * <p>
 * With a big-value threshold, a first pipelined round trip asks {@code MEMORY USAGE} of
 * every key (small integer replies); keys above the threshold are not DUMPed (a DUMP
 * reply is held whole, in Netty's buffer and then in a {@code byte[]}), only their expiry
 * is read, and they come back as {@linkplain KeyDump#big big} dumps, to be copied in
 * pieces. A source that refuses {@code MEMORY} (an ACL, a managed service, a server
 * without it) is reported once and every value is then DUMPed whole, as without a
 * threshold. Thread-safe: many threads may fetch on one connection at once.
 */
public final class DumpFetcher {

	private static final ByteArrayCodec CODEC = ByteArrayCodec.INSTANCE;

	private final StatefulRedisConnection<byte[], byte[]> connection;

	private final Duration timeout;

	private final boolean absoluteExpiry;

	private final long sourceOffsetMillis;

	private final AccessTracking tracking;

	private final long bigValueBytes;

	private final java.util.function.Consumer<String> sizesUnavailable;

	/** Whether {@code MEMORY USAGE} is asked (cleared when the source refuses it). */
	private volatile boolean sizes;

	/**
	 * Creates a fetcher.
	 * @param connection the source connection
	 * @param timeout how long to wait for a batch
	 * @param absoluteExpiry whether the source has {@code PEXPIRETIME} (Redis 7+)
	 * @param sourceOffsetMillis the source's clock minus this machine's
	 */
	public DumpFetcher(StatefulRedisConnection<byte[], byte[]> connection, Duration timeout, boolean absoluteExpiry,
			long sourceOffsetMillis) {
		this(connection, timeout, absoluteExpiry, sourceOffsetMillis, AccessTracking.NONE, 0, (message) -> {
		});
	}

	/**
	 * Creates a fetcher that also reads each key's idle time or access frequency.
	 * @param connection the source connection
	 * @param timeout how long to wait for a batch
	 * @param absoluteExpiry whether the source has {@code PEXPIRETIME} (Redis 7+)
	 * @param sourceOffsetMillis the source's clock minus this machine's
	 * @param tracking what to read (see the full constructor)
	 */
	public DumpFetcher(StatefulRedisConnection<byte[], byte[]> connection, Duration timeout, boolean absoluteExpiry,
			long sourceOffsetMillis, AccessTracking tracking) {
		this(connection, timeout, absoluteExpiry, sourceOffsetMillis, tracking, 0, (message) -> {
		});
	}

	/**
	 * Creates a fetcher that leaves values bigger than a threshold to be copied in
	 * pieces.
	 * @param connection the source connection
	 * @param timeout how long to wait for a batch
	 * @param absoluteExpiry whether the source has {@code PEXPIRETIME} (Redis 7+)
	 * @param sourceOffsetMillis the source's clock minus this machine's
	 * @param bigValueBytes values taking more memory in the source are not DUMPed
	 * @param sizesUnavailable told, once, why the sizes cannot be asked for
	 */
	public DumpFetcher(StatefulRedisConnection<byte[], byte[]> connection, Duration timeout, boolean absoluteExpiry,
			long sourceOffsetMillis, long bigValueBytes, java.util.function.Consumer<String> sizesUnavailable) {
		this(connection, timeout, absoluteExpiry, sourceOffsetMillis, AccessTracking.NONE, bigValueBytes,
				sizesUnavailable);
	}

	/**
	 * Creates a fetcher that also reads each key's idle time or access frequency, and
	 * leaves values bigger than a threshold to be copied in pieces.
	 * @param connection the source connection
	 * @param timeout how long to wait for a batch
	 * @param absoluteExpiry whether the source has {@code PEXPIRETIME} (Redis 7+)
	 * @param sourceOffsetMillis the source's clock minus this machine's
	 * @param tracking what to read: {@link AccessTracking#LRU} the idle time,
	 * {@link AccessTracking#LFU} the frequency (the source's policy must be LFU),
	 * {@link AccessTracking#NONE} nothing
	 * @param bigValueBytes values taking more memory in the source are not DUMPed; 0 to
	 * DUMP every value
	 * @param sizesUnavailable told, once, why the sizes cannot be asked for
	 */
	public DumpFetcher(StatefulRedisConnection<byte[], byte[]> connection, Duration timeout, boolean absoluteExpiry,
			long sourceOffsetMillis, AccessTracking tracking, long bigValueBytes,
			java.util.function.Consumer<String> sizesUnavailable) {
		this.tracking = tracking;
		this.connection = connection;
		this.timeout = timeout;
		this.absoluteExpiry = absoluteExpiry;
		this.sourceOffsetMillis = sourceOffsetMillis;
		this.bigValueBytes = bigValueBytes;
		this.sizesUnavailable = sizesUnavailable;
		this.sizes = bigValueBytes > 0;
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
		long[] big = bigValues(keys);
		Pipeline batch = new Pipeline(((access != null) ? 3 : 2) * n);
		List<Pipeline.Reply<Long>> uses = (access != null) ? new ArrayList<>(n) : null;
		List<Pipeline.Reply<byte[]>> dumps = new ArrayList<>(n);
		List<Pipeline.Reply<Long>> ttls = new ArrayList<>(n);
		CommandType expiry = this.absoluteExpiry ? CommandType.PEXPIRETIME : CommandType.PTTL;
		for (int i = 0; i < n; i++) {
			byte[] key = keys.get(i);
			if (access != null) {
				// before DUMP: on Redis before 7.2 DUMP resets the idle time and counts
				// as an access
				uses.add(batch.add(CommandType.OBJECT, new IntegerOutput<>(CODEC), access, key));
			}
			dumps.add((big[i] > 0) ? null : batch.add(CommandType.DUMP, new ByteArrayOutput<>(CODEC), key));
			ttls.add(batch.add(expiry, new IntegerOutput<>(CODEC), key));
		}
		long sentNanos = System.nanoTime();
		long sentMillis = System.currentTimeMillis();
		send(batch, sentNanos);
		// replies that did not come in time throw a timeout here
		byte[][] payloads = new byte[n][];
		long[] expiries = new long[n];
		long[] used = (uses != null) ? new long[n] : null;
		for (int i = 0; i < n; i++) {
			if (used != null) {
				used[i] = used(uses.get(i));
			}
			try {
				payloads[i] = (big[i] > 0) ? null : dumps.get(i).get();
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
			if (big[i] > 0 && expireAt != KeyDump.GONE) {
				result.add(KeyDump.big(keys.get(i), expireAt, big[i]));
			}
			else if (used == null) {
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

	private void send(Pipeline batch, long sentNanos) {
		batch.send(this.connection);
		try {
			batch.await(sentNanos + this.timeout.toNanos());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new RedisException("interrupted");
		}
	}

	/**
	 * Asks the memory each key takes, in one pipelined round trip.
	 * @return per key, its memory when above the threshold, otherwise 0 (also for a key
	 * gone, or whose slot moved away)
	 */
	private long[] bigValues(List<byte[]> keys) {
		long[] big = new long[keys.size()];
		if (!this.sizes) {
			return big;
		}
		Pipeline batch = new Pipeline(keys.size());
		List<Pipeline.Reply<Long>> usages = new ArrayList<>(keys.size());
		for (byte[] key : keys) {
			// default SAMPLES: a collection's size is estimated from a few elements
			usages.add(batch.add(CommandType.MEMORY, new IntegerOutput<>(CODEC), CommandKeyword.USAGE, key));
		}
		send(batch, System.nanoTime());
		for (int i = 0; i < big.length; i++) {
			try {
				Long usage = usages.get(i).get();
				big[i] = (usage != null && usage > this.bigValueBytes) ? usage : 0;
			}
			catch (RedisCommandExecutionException ex) {
				if (movedAway(ex)) {
					continue;
				}
				if (!refused(ex)) {
					throw ex;
				}
				this.sizes = false;
				this.sizesUnavailable.accept(String.valueOf(ex.getMessage()));
				return new long[big.length];
			}
		}
		return big;
	}

	/** Whether the source denies {@code MEMORY} to the user or does not know it. */
	private static boolean refused(RedisCommandExecutionException ex) {
		String message = String.valueOf(ex.getMessage());
		String lower = message.toLowerCase(java.util.Locale.ROOT);
		return message.startsWith("NOPERM") || lower.contains("unknown command")
				|| lower.contains("unknown subcommand");
	}

}
