package io.keyferry.redis;

import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ServerClock} against a real server on this machine.
 */
@ExtendWith(RedisServerExtension.class)
class ServerClockIntegrationTests {

	@Test
	void serverOnThisMachineHasNoOffset(RedisServer server) {
		try (StatefulRedisConnection<byte[], byte[]> connection = server.connect()) {
			long offset = ServerClock.offsetMillis(connection);

			assertThat(offset).as("offset of a server sharing this machine's clock").isBetween(-20L, 20L);
		}
	}

	@Test
	void offsetPlacesServerTimeOnThisMachinesClock(RedisServer server) {
		try (StatefulRedisConnection<byte[], byte[]> connection = server.connect()) {
			long offset = ServerClock.offsetMillis(connection);
			long before = System.currentTimeMillis();
			long serverMillis = Long.parseLong(new String(connection.sync().time().get(0))) * 1000
					+ Long.parseLong(new String(connection.sync().time().get(1))) / 1000;
			long after = System.currentTimeMillis();

			assertThat(serverMillis - offset).isBetween(before - 50, after + 50);
		}
	}

}
