package io.keyferry.redis;

/**
 * A key's serialized value and remaining time to live as read from the source.
 *
 * @param key the key
 * @param payload the DUMP payload, {@code null} when the key was gone
 * @param pttl the PTTL reply: -1 persistent, -2 gone, otherwise milliseconds left
 * @param readAtNanos {@link System#nanoTime()} just before the commands were sent: the
 * TTL is counted down from there, so the target never keeps a key longer than the source
 * would
 */
public record KeyDump(byte[] key, byte[] payload, long pttl, long readAtNanos) {

	/** TTL value for a key without expiry, as RESTORE takes it. */
	public static final long PERSISTENT = 0;

	/** Marker returned by {@link #ttlAt(long)} for a key whose TTL has run out. */
	public static final long EXPIRED = -1;

	/**
	 * Whether the key existed when it was dumped.
	 * @return false when DUMP or PTTL found it gone
	 */
	public boolean exists() {
		return this.payload != null && this.pttl != -2;
	}

	/**
	 * The TTL to give RESTORE at the given moment: the source's remaining TTL minus the
	 * time elapsed since it was read. Relative TTLs are interpreted by the target's own
	 * clock, so a clock skew between the hosts does not shift the expiry.
	 * @param nowNanos {@link System#nanoTime()} now
	 * @return {@link #PERSISTENT} (0), {@link #EXPIRED} (-1), or milliseconds ≥ 1
	 */
	public long ttlAt(long nowNanos) {
		if (this.pttl == -1) {
			return PERSISTENT;
		}
		long elapsedMillis = Math.max(0, (nowNanos - this.readAtNanos) / 1_000_000);
		long remaining = this.pttl - elapsedMillis;
		return (remaining >= 1) ? remaining : EXPIRED;
	}

	/**
	 * The payload size.
	 * @return bytes, 0 for a gone key
	 */
	public int size() {
		return (this.payload != null) ? this.payload.length : 0;
	}

}
