package io.keyferry.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;

import io.keyferry.testsupport.RedisSentinel;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Sentinel URI that leads nowhere is refused before anything is written, with one error
 * line, a hint and exit code 2, and without the passwords: an unknown master name, no
 * Sentinel listening, a Sentinel that wants a password, a master that refuses the
 * password. One Sentinel group (servers and Sentinel with passwords) serves the class.
 */
@ExtendWith(RedisServerExtension.class)
class SentinelIntegrationTests {

	private static final String PASSWORD = "data-S3cret";

	private static RedisSentinel group;

	@TempDir
	Path home;

	@BeforeAll
	static void startSentinel() {
		group = RedisSentinel.start(PASSWORD, null);
	}

	@AfterAll
	static void stopSentinel() {
		if (group != null) {
			group.close();
		}
	}

	@Test
	void unknownMasterNameIsRefusedWithAHint(RedisServer target) {
		String uri = "redis-sentinel://127.0.0.1:" + group.port() + "#nosuchmaster";

		CliRun run = CliRun.copy(this.home, uri, target.uri()).assertExitCode(ExitCode.USAGE).assertErrorWithHint();

		assertThat(run.errorLine()).isEqualTo("error: the Sentinels of source redis-sentinel://127.0.0.1:"
				+ group.port() + "/0#nosuchmaster know no master named 'nosuchmaster'");
		assertThat(run.hintLine()).contains("check the name after #", "SENTINEL MASTERS");
		assertNothingWritten(target);
	}

	@Test
	void noSentinelListeningIsRefusedWithAHint(RedisServer target) {
		int port = freePort();

		CliRun run = CliRun
			.copy(this.home, "redis-sentinel://:" + PASSWORD + "@127.0.0.1:" + port + "#mymaster", target.uri())
			.assertExitCode(ExitCode.USAGE)
			.assertErrorWithHint();

		assertThat(run.errorLine()).isEqualTo("error: cannot reach a Sentinel of source redis-sentinel://127.0.0.1:"
				+ port + "/0#mymaster (tried 127.0.0.1:" + port + ")");
		assertThat(run.hintLine()).contains("Sentinel runs there", "26379");
		assertThat(run.out() + run.err()).doesNotContain("S3cret");
		assertNothingWritten(target);
	}

	@Test
	void aWrongPasswordIsTheMastersAndIsNeverShown(RedisServer target) {
		CliRun run = CliRun.copy(this.home, group.uri("wrong-S3cret"), target.uri())
			.assertExitCode(ExitCode.USAGE)
			.assertErrorWithHint();

		assertThat(run.errorLine()).contains("redis-sentinel://127.0.0.1:" + group.port() + "/0#mymaster");
		assertThat(run.out() + run.err()).doesNotContain("S3cret");
		assertNothingWritten(target);
	}

	@Test
	void copiesWithTheMastersPasswordInTheUri(RedisServer target) {
		group.master().sync().set("k", "v");

		CliRun run = CliRun.copy(this.home, group.uri(PASSWORD), target.uri()).assertExitCode(ExitCode.OK);

		assertThat(run.summary().written()).isEqualTo(1);
		assertThat(target.sync().get("k")).isEqualTo("v");
		assertThat(run.out() + run.err()).doesNotContain("S3cret");
	}

	private void assertNothingWritten(RedisServer target) {
		assertThat(target.sync().dbsize()).isZero();
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
