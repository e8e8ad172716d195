package io.keyferry.testsupport;

/**
 * Makes a Redis server run out of memory part-way through a copy: with
 * {@code maxmemory-policy noeviction} and {@code maxmemory} set to what it uses now plus
 * some headroom, it accepts the first writes and then answers {@code OOM} to every write,
 * until {@link #lift} removes the limit. A limit relative to the memory in use works
 * whatever the server's baseline (which differs between versions and with the number of
 * clients), where a fixed {@code --maxmemory 1mb} may refuse even the probe before
 * anything is written. Stateless.
 */
public final class MemoryLimit {

	/** Enough for the connections and a first chunk or two of small keys. */
	public static final long DEFAULT_HEADROOM = 256 * 1024;

	private MemoryLimit() {
	}

	/**
	 * Limits the server to its current memory plus {@link #DEFAULT_HEADROOM}.
	 * @param server the server
	 */
	public static void leaveHeadroom(RedisServer server) {
		leaveHeadroom(server, DEFAULT_HEADROOM);
	}

	/**
	 * Limits the server to its current memory plus the given headroom.
	 * @param server the server
	 * @param bytes the headroom
	 */
	public static void leaveHeadroom(RedisServer server, long bytes) {
		long used = Long.parseLong(server.info("used_memory"));
		server.sync().configSet("maxmemory-policy", "noeviction");
		server.sync().configSet("maxmemory", Long.toString(used + bytes));
	}

	/**
	 * Removes the limit ({@code maxmemory 0}), as an operator who freed memory would.
	 * @param server the server
	 */
	public static void lift(RedisServer server) {
		server.sync().configSet("maxmemory", "0");
	}

}
