package io.keyferry.redis;

import java.util.List;

import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ServerClock} against real servers whose wall clocks are shifted from
 * this machine's by minutes, as on hosts whose clocks are off: an offset of zero, of the
 * wrong sign or of the wrong unit fails them.
 */
@ExtendWith(RedisServerExtension.class)
class ServerClockIntegrationTests {

	private static final long TEN_MINUTES = 600_000;

	@Test
	void measuresTheOffsetOfAServerWhoseClockIsAhead(@RedisServerOptions(clockOffsetSeconds = 600) RedisServer server) {
		assertMeasuredOffset(server, TEN_MINUTES);
	}

	@Test
	void measuresTheOffsetOfAServerWhoseClockIsBehind(
			@RedisServerOptions(clockOffsetSeconds = -600) RedisServer server) {
		assertMeasuredOffset(server, -TEN_MINUTES);
	}

	@Test
	void measuresNoOffsetForAServerOnThisMachinesClock(RedisServer server) {
		assertMeasuredOffset(server, 0);
	}

	@Test
	void offsetPlacesServerTimeOnThisMachinesClock(@RedisServerOptions(clockOffsetSeconds = -600) RedisServer server) {
		try (StatefulRedisConnection<byte[], byte[]> connection = server.connect()) {
			long offset = ServerClock.offsetMillis(connection);
			long before = System.currentTimeMillis();
			long serverMillis = millis(connection.sync().time());
			long after = System.currentTimeMillis();

			// TIME has microseconds, this machine's clock milliseconds: 1 ms of rounding,
			// plus the offset's error of at most half a round trip
			long slack = (after - before) + 2;
			assertThat(serverMillis - offset).isBetween(before - slack, after + slack);
		}
	}

	/**
	 * The measured offset is within half a round trip of the real one, and a probe's
	 * round trip lies within the time the measurement took: a bound that holds on a
	 * loaded machine.
	 */
	private static void assertMeasuredOffset(RedisServer server, long expected) {
		try (StatefulRedisConnection<byte[], byte[]> connection = server.connect()) {
			long start = System.nanoTime();
			long offset = ServerClock.offsetMillis(connection);
			long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

			assertThat(server.clockOffset().toMillis()).isEqualTo(expected);
			assertThat(offset).as("offset of %s, measured in %d ms", server, elapsedMillis)
				.isBetween(expected - elapsedMillis / 2 - 2, expected + elapsedMillis / 2 + 2);
		}
	}

	private static long millis(List<byte[]> time) {
		return Long.parseLong(new String(time.get(0))) * 1000 + Long.parseLong(new String(time.get(1))) / 1000;
	}

}
