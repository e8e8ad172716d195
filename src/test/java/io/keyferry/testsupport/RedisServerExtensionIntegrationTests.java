package io.keyferry.testsupport;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link RedisServerExtension}.
 */
@ExtendWith(RedisServerExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisServerExtensionIntegrationTests {

	private static RedisServer fromFirstTest;

	@Test
	@Order(1)
	void injectsAFreshServerPerParameter(RedisServer source, RedisServer target) {
		fromFirstTest = source;
		assertThat(source.isRunning()).isTrue();
		assertThat(target.port()).isNotEqualTo(source.port());
		assertThat(source.sync().dbsize()).isZero();
		assertThat(target.sync().dbsize()).isZero();
	}

	@Test
	@Order(2)
	void closesServersAfterTheTest() {
		assertThat(fromFirstTest).isNotNull();
		assertThat(fromFirstTest.isRunning()).isFalse();
		assertThat(ProcessHandle.of(fromFirstTest.pid())).isEmpty();
		assertThat(fromFirstTest.dir()).doesNotExist();
	}

	@Test
	@Order(3)
	void appliesOptions(@RedisServerOptions(old = true) RedisServer old,
			@RedisServerOptions(args = { "--maxmemory", "3mb" }, password = "pw") RedisServer configured,
			@RedisServerOptions(clockOffsetSeconds = 600) RedisServer ahead) {
		assertThat(old.version()).startsWith("6.2.");
		assertThat(old.clockOffset()).isZero();
		assertThat(ahead.clockOffset()).isEqualTo(java.time.Duration.ofMinutes(10));
		long before = System.currentTimeMillis();
		long serverMillis = Long.parseLong(ahead.sync().time().get(0)) * 1000 + 999;
		long after = System.currentTimeMillis();
		assertThat(serverMillis - 600_000).as("the server's clock less ten minutes").isBetween(before, after + 1000);
		assertThat(configured.sync().configGet("maxmemory")).containsEntry("maxmemory", "3145728");
		assertThat(configured.sync().configGet("requirepass")).containsEntry("requirepass", "pw");
	}

	@AfterAll
	static void allServersClosed() {
		assertThat(fromFirstTest.isRunning()).isFalse();
	}

}
