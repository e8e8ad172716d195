package io.keyferry.testsupport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for {@link RedisServer}.
 */
class RedisServerIntegrationTests {

	@Test
	void clockOffsetShiftsTheServersTimeAndExpiries() {
		Duration offset = Duration.ofMinutes(-10);
		try (RedisServer server = RedisServer.builder().clockOffset(offset).start()) {
			long before = System.currentTimeMillis();
			List<String> time = server.sync().time();
			long after = System.currentTimeMillis();
			long serverMillis = Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
			assertThat(server.clockOffset()).isEqualTo(offset);
			assertThat(serverMillis - offset.toMillis()).isBetween(before - 1, after + 1);

			// a minute ago on this machine's clock is nine minutes ahead on the server's
			server.sync().set("k", "v");
			server.sync().pexpireat("k", System.currentTimeMillis() - 60_000);
			assertThat(server.sync().pttl("k")).isBetween(Duration.ofMinutes(8).toMillis(), 540_000L);
			server.sync().set("k2", "v", SetArgs.Builder.px(60_000));
			assertThat(server.sync().pexpiretime("k2") - offset.toMillis()).isBetween(before + 60_000,
					System.currentTimeMillis() + 60_000);

			server.restart();
			assertThat(server.sync().pttl("k")).as("after a restart")
				.isBetween(Duration.ofMinutes(8).toMillis(), 540_000L);
		}
	}

	@Test
	void clockOffsetAheadExpiresKeysThatAreStillLiveOnThisMachinesClock() {
		try (RedisServer server = RedisServer.builder().clockOffset(Duration.ofMinutes(10)).start()) {
			server.sync().set("k", "v");
			server.sync().pexpireat("k", System.currentTimeMillis() + 60_000);

			assertThat(server.sync().exists("k")).isZero();
		}
	}

	@Test
	void startsOnFreeLoopbackPortAndAnswersPing() {
		try (RedisServer server = RedisServer.start()) {
			assertThat(server.host()).isEqualTo("127.0.0.1");
			assertThat(server.port()).isPositive().isNotEqualTo(6379);
			assertThat(server.uri()).isEqualTo("redis://127.0.0.1:" + server.port());
			assertThat(server.sync().ping()).isEqualTo("PONG");
			assertThat(server.version()).matches("\\d+\\.\\d+\\.\\d+");
			assertThat(server.info("process_id")).isEqualTo(Long.toString(server.pid()));
			assertThat(server.sync().configGet("save")).containsEntry("save", "");
			assertThat(server.sync().configGet("appendonly")).containsEntry("appendonly", "no");
			assertThat(server.sync().configGet("dir").get("dir")).isEqualTo(server.dir().toRealPath().toString());
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	@Test
	void serversAreIndependent() {
		try (RedisServer first = RedisServer.start(); RedisServer second = RedisServer.start()) {
			first.sync().set("k", "first");
			assertThat(second.port()).isNotEqualTo(first.port());
			assertThat(second.sync().get("k")).isNull();
			assertThat(second.runId()).isNotEqualTo(first.runId());
		}
	}

	@Test
	void restartKeepsPortAndDataAndChangesRunId() {
		try (RedisServer server = RedisServer.start()) {
			int port = server.port();
			long pid = server.pid();
			String runId = server.runId();
			server.sync().set("k", "v");
			server.binarySync().set(new byte[] { 0, (byte) 0xff }, new byte[] { 1 });

			server.restart();

			assertThat(server.port()).isEqualTo(port);
			assertThat(server.pid()).isNotEqualTo(pid);
			assertThat(ProcessHandle.of(pid)).isEmpty();
			assertThat(server.runId()).isNotEqualTo(runId);
			assertThat(server.sync().get("k")).isEqualTo("v");
			assertThat(server.binarySync().get(new byte[] { 0, (byte) 0xff })).containsExactly(1);
		}
	}

	@Test
	void stopEndsOnlyItsOwnProcessAndRestartStartsItAgain() {
		try (RedisServer server = RedisServer.start(); RedisServer other = RedisServer.start()) {
			long pid = server.pid();
			server.sync().set("k", "v");

			server.stop();

			assertThat(server.isRunning()).isFalse();
			assertThat(ProcessHandle.of(pid)).isEmpty();
			assertThat(((LocalServerRuntime) server.runtime()).exitValue()).isZero();
			assertThat(other.sync().ping()).isEqualTo("PONG");

			server.restart();

			assertThat(server.isRunning()).isTrue();
			// Without persistence a graceful stop saves nothing.
			assertThat(server.sync().get("k")).isNull();
		}
	}

	@Test
	void killSendsSigkillToItsOwnProcess() {
		try (RedisServer server = RedisServer.start()) {
			long pid = server.pid();

			server.kill();

			assertThat(server.isRunning()).isFalse();
			assertThat(ProcessHandle.of(pid)).isEmpty();
			assertThat(((LocalServerRuntime) server.runtime()).exitValue()).isEqualTo(128 + 9);
		}
	}

	@Test
	void persistenceKeepsWritesAcrossKill() {
		try (RedisServer server = RedisServer.builder().persistence().start()) {
			server.sync().set("k", "v");

			server.kill();
			server.restart();

			assertThat(server.sync().get("k")).isEqualTo("v");
			assertThat(server.sync().configGet("appendonly")).containsEntry("appendonly", "yes");
		}
	}

	@Test
	void closeStopsTheServerAndDeletesItsDirectory() {
		RedisServer server = RedisServer.start();
		Path dir = server.dir();
		long pid = server.pid();
		assertThat(dir).isDirectory();

		server.close();
		server.close();

		assertThat(ProcessHandle.of(pid)).isEmpty();
		assertThat(Files.exists(dir)).isFalse();
		assertThat(server.isRunning()).isFalse();
		assertThatIllegalStateException().isThrownBy(server::sync).withMessageContaining("closed");
	}

	@Test
	void passesExtraConfigArguments() {
		try (RedisServer server = RedisServer.builder()
			.args("--maxmemory", "2mb", "--maxmemory-policy", "noeviction")
			.start()) {
			assertThat(server.sync().configGet("maxmemory")).containsEntry("maxmemory", "2097152");

			assertThatExceptionOfType(RedisCommandExecutionException.class).isThrownBy(() -> {
				for (int i = 0; i < 10_000; i++) {
					server.sync().set("k" + i, "x".repeat(1024));
				}
			}).withMessageStartingWith("OOM");
		}
	}

	@Test
	void passwordIsRequiredFromOthersAndUsedByTheFixture() {
		try (RedisServer server = RedisServer.builder().password("s3cret/pw").start()) {
			assertThat(server.sync().ping()).isEqualTo("PONG");
			assertThat(server.uri("default", "s3cret/pw"))
				.isEqualTo("redis://default:s3cret%2Fpw@127.0.0.1:" + server.port());
			assertThat(pingAs(RedisURI.create(server.uri("default", "s3cret/pw")))).isEqualTo("PONG");
			assertThatExceptionOfType(RuntimeException.class).isThrownBy(() -> pingAs(RedisURI.create(server.uri())))
				.havingRootCause()
				.withMessageContaining("NOAUTH");

			server.sync().set("k", "v");
			server.restart();
			assertThat(server.sync().get("k")).isEqualTo("v");
		}
	}

	@Test
	void aclUsersHaveTheirRules() {
		try (RedisServer server = RedisServer.builder().user("reader", "pw", "~*", "+@read", "+ping").start()) {
			server.sync().set("k", "v");
			RedisURI reader = RedisURI.create(server.uri("reader", "pw"));
			RedisClient client = RedisClient.create(reader);
			try (StatefulRedisConnection<String, String> connection = client.connect()) {
				assertThat(connection.sync().get("k")).isEqualTo("v");
				assertThatExceptionOfType(RedisCommandExecutionException.class)
					.isThrownBy(() -> connection.sync().set("k", "w"))
					.withMessageStartingWith("NOPERM");
			}
			finally {
				client.shutdown();
			}
		}
	}

	@Test
	void startupFailureShowsTheServerLog() {
		assertThatIllegalStateException()
			.isThrownBy(() -> RedisServer.builder().args("--no-such-directive", "x").start())
			.withMessageContaining("exited during startup")
			.withMessageContaining("redis-server log")
			.withMessageContaining("no-such-directive");
	}

	@Test
	void restartFailsWithTheLogWhenItsPortWasTaken() throws IOException {
		try (RedisServer server = RedisServer.start()) {
			server.stop();
			try (ServerSocket squatter = new ServerSocket(server.port(), 1, InetAddress.getByName("127.0.0.1"))) {
				assertThatIllegalStateException().isThrownBy(server::restart)
					.withMessageContaining("could not restart on the same port")
					.withMessageContaining("Address already in use");
			}
			server.restart();
			assertThat(server.sync().ping()).isEqualTo("PONG");
		}
	}

	private static String pingAs(RedisURI uri) {
		RedisClient client = RedisClient.create(uri);
		try (StatefulRedisConnection<String, String> connection = client.connect()) {
			return connection.sync().ping();
		}
		finally {
			client.shutdown();
		}
	}

}
