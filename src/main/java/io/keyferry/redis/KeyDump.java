package io.keyferry.redis;

/**
 * A key's serialized value and its expiry as read from the source.
 *
 * @param key the key
 * @param payload the DUMP payload, {@code null} when the key was gone
 * @param expireAt when the key expires, in this machine's clock (epoch milliseconds),
 * converted from the source's {@code PEXPIRETIME} through the measured clock offset;
 * {@link #PERSISTENT} or {@link #GONE} otherwise
 * @param idleSeconds the source's {@code OBJECT IDLETIME} read before DUMP, or
 * {@link #UNTRACKED}
 * @param frequency the source's {@code OBJECT FREQ} read before DUMP, or
 * {@link #UNTRACKED}
 * @param bigBytes for a value too big to DUMP whole, the memory it takes in the source
 * ({@code MEMORY USAGE}): it has no payload and is copied in pieces ({@link TypeWriter});
 * 0 otherwise
 */
public record KeyDump(byte[] key, byte[] payload, long expireAt, long idleSeconds, int frequency, long bigBytes) {

	/**
	 * {@link #idleSeconds} or {@link #frequency} not read (see {@link AccessTracking}).
	 */
	public static final int UNTRACKED = -1;

	/** {@link #expireAt} of a key without expiry. */
	public static final long PERSISTENT = -1;

	/** {@link #expireAt} of a key that was gone. */
	public static final long GONE = -2;

	/**
	 * {@link #expireAt} of a key whose payload was released to keep a chunk within its
	 * byte budget.
	 */
	public static final long DEFERRED = -3;

	/** Returned by {@link #restoreExpiry} for a key whose time has run out. */
	public static final long EXPIRED = -1;

	/**
	 * A dump of a value read whole (or of a gone key), without the key's idle time or
	 * frequency.
	 * @param key the key
	 * @param payload the DUMP payload, {@code null} when the key was gone
	 * @param expireAt when the key expires, or {@link #PERSISTENT} or {@link #GONE}
	 */
	public KeyDump(byte[] key, byte[] payload, long expireAt) {
		this(key, payload, expireAt, UNTRACKED, UNTRACKED, 0);
	}

	/**
	 * A dump of a value read whole (or of a gone key).
	 * @param key the key
	 * @param payload the DUMP payload, {@code null} when the key was gone
	 * @param expireAt when the key expires, or {@link #PERSISTENT} or {@link #GONE}
	 * @param idleSeconds the idle time read before DUMP, or {@link #UNTRACKED}
	 * @param frequency the frequency read before DUMP, or {@link #UNTRACKED}
	 */
	public KeyDump(byte[] key, byte[] payload, long expireAt, long idleSeconds, int frequency) {
		this(key, payload, expireAt, idleSeconds, frequency, 0);
	}

	/**
	 * A value too big to DUMP whole: copied in pieces with its type's commands.
	 * @param key the key
	 * @param expireAt when the key expires, or {@link #PERSISTENT} or {@link #GONE}
	 * @param bigBytes the memory it takes in the source (at least 1)
	 * @return the dump, without payload
	 */
	public static KeyDump big(byte[] key, long expireAt, long bigBytes) {
		return new KeyDump(key, null, expireAt, UNTRACKED, UNTRACKED, Math.max(1, bigBytes));
	}

	/**
	 * Whether the key existed when it was dumped.
	 * @return false when DUMP or the expiry query found it gone
	 */
	public boolean exists() {
		return (this.payload != null || isBig()) && this.expireAt != GONE && this.expireAt != DEFERRED;
	}

	/**
	 * Whether the value is too big to DUMP whole and is copied in pieces.
	 * @return true when {@link #bigBytes} is set
	 */
	public boolean isBig() {
		return this.bigBytes > 0;
	}

	/**
	 * A dump whose payload is dropped: the writer reads and writes the key on its own.
	 * @param key the key
	 * @return the deferred dump
	 */
	public static KeyDump deferred(byte[] key) {
		return new KeyDump(key, null, DEFERRED);
	}

	/**
	 * A dump whose payload is dropped, keeping the idle time or frequency read before the
	 * key was first dumped (dumping it again reads a fresh use on Redis before 7.2).
	 * @param dump the dump
	 * @return the deferred dump
	 */
	public static KeyDump deferred(KeyDump dump) {
		return new KeyDump(dump.key, null, DEFERRED, dump.idleSeconds, dump.frequency);
	}

	/**
	 * This dump with the idle time and frequency of an earlier one of the same key, where
	 * that one has them.
	 * @param earlier the earlier dump
	 * @return this dump, or a copy with the earlier access information
	 */
	public KeyDump withAccessOf(KeyDump earlier) {
		if (earlier.idleSeconds == UNTRACKED && earlier.frequency == UNTRACKED) {
			return this;
		}
		return new KeyDump(this.key, this.payload, this.expireAt, earlier.idleSeconds, earlier.frequency,
				this.bigBytes);
	}

	public boolean isDeferred() {
		return this.expireAt == DEFERRED;
	}

	/**
	 * The absolute expiry to give {@code RESTORE … ABSTTL}, in the target's clock.
	 * @param nowMillis this machine's clock now (epoch ms)
	 * @param targetOffsetMillis the target's clock minus this machine's
	 * @return 0 for a persistent key, {@link #EXPIRED} when the time has run out,
	 * otherwise the target-clock epoch milliseconds (at least 1)
	 */
	public long restoreExpiry(long nowMillis, long targetOffsetMillis) {
		if (this.expireAt == PERSISTENT) {
			return 0;
		}
		if (this.expireAt <= nowMillis) {
			return EXPIRED;
		}
		return Math.max(1, this.expireAt + targetOffsetMillis);
	}

	/**
	 * The payload size.
	 * @return bytes, 0 for a gone key
	 */
	public int size() {
		return (this.payload != null) ? this.payload.length : 0;
	}

}
