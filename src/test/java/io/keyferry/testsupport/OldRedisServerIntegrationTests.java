package io.keyferry.testsupport;

import java.nio.charset.StandardCharsets;

import io.lettuce.core.RedisCommandExecutionException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link RedisServer#startOld()}, the "target older than source" server.
 */
class OldRedisServerIntegrationTests {

	private static final byte[] KEY = "k".getBytes(StandardCharsets.US_ASCII);

	@Test
	void oldServerIsRedis62() {
		try (RedisServer old = RedisServer.startOld()) {
			assertThat(old.version()).startsWith("6.2.");
			assertThat(old.sync().ping()).isEqualTo("PONG");
		}
	}

	@Test
	void oldServerRejectsDumpPayloadOfNewerServer() {
		try (RedisServer source = RedisServer.start(); RedisServer old = RedisServer.startOld()) {
			assertThat(Integer.parseInt(source.version().split("\\.")[0]))
				.as("this test needs a Redis 7 source, got %s: install redis-server 7 "
						+ "(apt-get install redis-server, brew install redis) or set KEYFERRY_REDIS_SERVER", source)
				.isGreaterThanOrEqualTo(7);
			source.binarySync().set(KEY, "v".getBytes(StandardCharsets.US_ASCII));
			byte[] payload = source.binarySync().dump(KEY);

			assertThatExceptionOfType(RedisCommandExecutionException.class)
				.isThrownBy(() -> old.binarySync().restore(KEY, 0, payload))
				.withMessageContaining("DUMP payload version or checksum are wrong");
			assertThat(old.binarySync().exists(KEY)).isZero();
		}
	}

	@Test
	void oldServerAcceptsItsOwnDumpPayload() {
		try (RedisServer old = RedisServer.startOld(); RedisServer otherOld = RedisServer.startOld()) {
			old.binarySync().set(KEY, "v".getBytes(StandardCharsets.US_ASCII));

			otherOld.binarySync().restore(KEY, 0, old.binarySync().dump(KEY));

			assertThat(otherOld.sync().get("k")).isEqualTo("v");
		}
	}

	@Test
	void oldServerRestartsWithItsData() {
		try (RedisServer old = RedisServer.startOld()) {
			String runId = old.runId();
			old.sync().set("k", "v");

			old.restart();

			assertThat(old.runId()).isNotEqualTo(runId);
			assertThat(old.sync().get("k")).isEqualTo("v");
		}
	}

}
