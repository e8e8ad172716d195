package io.keyferry.redis;

import java.util.List;

import io.lettuce.core.api.StatefulRedisConnection;

/**
 * The offset between a server's clock and this machine's, measured with {@code TIME}: the
 * best of a few probes, each placing the server's time at the midpoint of its round trip,
 * so the error is at most half the shortest round trip. Expiries cross hosts as absolute
 * times through these offsets, so a clock skew between the hosts does not shift them, and
 * the time a batch waits in a queue does not shorten them.
 */
public final class ServerClock {

	private static final int PROBES = 3;

	private ServerClock() {
	}

	/**
	 * Measures the offset; call it on a connection with nothing else in flight.
	 * @param connection the connection
	 * @return the server's clock minus this machine's, in milliseconds
	 */
	public static long offsetMillis(StatefulRedisConnection<byte[], byte[]> connection) {
		long bestRtt = Long.MAX_VALUE;
		long bestOffset = 0;
		for (int i = 0; i < PROBES; i++) {
			long t0 = System.nanoTime();
			long local0 = System.currentTimeMillis();
			List<byte[]> time = connection.sync().time();
			long rtt = System.nanoTime() - t0;
			long serverMicros = Long.parseLong(new String(time.get(0))) * 1_000_000
					+ Long.parseLong(new String(time.get(1)));
			double localMidMillis = local0 + rtt / 2e6;
			if (rtt < bestRtt) {
				bestRtt = rtt;
				bestOffset = Math.round(serverMicros / 1000.0 - localMidMillis);
			}
		}
		return bestOffset;
	}

}
