package io.keyferry.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests of the checks made before anything is written: a server that cannot
 * be reached, wrong credentials, missing permissions or an incompatible target end the
 * command with exit code 2, one error and one hint, no stack trace, no run recorded and
 * nothing written.
 */
@ExtendWith(RedisServerExtension.class)
class PreflightIntegrationTests {

	@TempDir
	Path home;

	private RedisServer target;

	@AfterEach
	void nothingWasWrittenOrRecorded() {
		if (this.target != null && this.target.isRunning()) {
			assertThat(this.target.sync().dbsize()).as("keys written to the target").isZero();
		}
		if (Files.exists(this.home.resolve("repository").resolve("keyferry.mv.db"))) {
			assertThat(new JobRepositoryDatabase(this.home).count("SELECT COUNT(*) FROM BATCH_JOB_EXECUTION"))
				.as("executions recorded")
				.isZero();
		}
	}

	@Test
	void unreachableSourceIsAConfigurationError(RedisServer target) throws IOException {
		this.target = target;

		CliRun run = rejected(CliRun.copy(this.home, "redis://127.0.0.1:" + unusedPort(), target.uri()));

		assertThat(run.errorLine()).startsWith("error: cannot connect to source redis://127.0.0.1:");
		assertThat(run.errorLine()).contains("connection refused");
		assertThat(run.hintLine()).contains("check that Redis is running");
	}

	@Test
	void unreachableTargetIsAConfigurationError(RedisServer source) throws IOException {
		TestData.keys(20).loadInto(source);
		int port = unusedPort();

		CliRun run = rejected(CliRun.copy(this.home, source.uri(), "redis://127.0.0.1:" + port));

		assertThat(run.errorLine()).startsWith("error: cannot connect to target redis://127.0.0.1:" + port);
	}

	@Test
	void wrongPasswordIsAnAuthenticationError(@RedisServerOptions(password = "right-password") RedisServer source,
			RedisServer target) {
		this.target = target;
		TestData.keys(20).loadInto(source);

		CliRun run = rejected(CliRun.copy(this.home, source.uri("default", "wrong-password"), target.uri()));

		assertThat(run.errorLine())
			.isEqualTo("error: authentication failed for source redis://default@127.0.0.1:" + source.port() + "/0");
		assertThat(run.hintLine()).contains("KEYFERRY_SOURCE_PASSWORD");
		assertThat(run.err() + run.out()).doesNotContain("wrong-password").doesNotContain("right-password");
	}

	@Test
	void missingPasswordIsAnAuthenticationError(RedisServer source,
			@RedisServerOptions(password = "target-password") RedisServer target) {
		this.target = target;
		TestData.keys(20).loadInto(source);

		CliRun run = rejected(CliRun.copy(this.home, source.uri(), target.uri()));

		assertThat(run.errorLine()).isEqualTo("error: authentication failed for target " + target.uri() + "/0");
		assertThat(run.hintLine()).contains("KEYFERRY_TARGET_PASSWORD");
	}

	@Test
	void sourceUserWithoutDumpPermissionIsNamed(RedisServer target) {
		this.target = target;
		try (RedisServer source = RedisServer.builder().user("copier", "copier-pw", "~*", "+@all", "-dump").start()) {
			TestData.keys(20).loadInto(source);

			CliRun run = rejected(CliRun.copy(this.home, source.uri("copier", "copier-pw"), target.uri()));

			assertThat(run.errorLine())
				.isEqualTo("error: the source user copier may not run DUMP, which this copy needs");
			assertThat(run.hintLine()).endsWith(": ACL SETUSER copier +dump");
			assertThat(run.err()).doesNotContain("copier-pw");
		}
	}

	@Test
	void targetUserWithoutRestorePermissionIsNamed(RedisServer source) {
		TestData.keys(20).loadInto(source);
		try (RedisServer target = RedisServer.builder()
			.user("writer", "writer-pw", "~*", "+@all", "-restore")
			.start()) {
			this.target = target;

			CliRun run = rejected(CliRun.copy(this.home, source.uri(), target.uri("writer", "writer-pw")));

			assertThat(run.errorLine())
				.isEqualTo("error: the target user writer may not run RESTORE, which this copy needs");
			assertThat(run.hintLine()).endsWith(": ACL SETUSER writer +restore");
			assertThat(target.sync().dbsize()).isZero();
		}
	}

	@Test
	void targetOlderThanSourceIsRefusedUnderWriteModeRestore(RedisServer source,
			@RedisServerOptions(old = true) RedisServer target) {
		this.target = target;
		assertThat(source.version()).startsWith("7.");
		assertThat(target.version()).startsWith("6.2.");
		TestData.keys(50).loadInto(source);

		CliRun run = rejected(CliRun.copy(this.home, source.uri(), target.uri(), "--write-mode", "restore"));

		assertThat(run.errorLine()).contains("older than the source")
			.contains("Redis " + target.version())
			.contains("Redis " + source.version());
		assertThat(run.hintLine()).contains("newer");
	}

	@Test
	void sameDatabaseAsSourceAndTargetIsRefused(RedisServer source) {
		this.target = source;
		source.sync().flushall();

		CliRun run = rejected(CliRun.copy(this.home, source.uri(), source.uri() + "/0"));

		assertThat(run.errorLine()).isEqualTo("error: the source and the target are the same database");
	}

	@Test
	void missingDatabaseIsNamed(RedisServer source, RedisServer target) {
		this.target = target;
		TestData.keys(20).loadInto(source);

		CliRun run = rejected(CliRun.copy(this.home, source.uri(), target.uri() + "/99"));

		assertThat(run.errorLine()).contains("database 99 does not exist");
	}

	@Test
	void readFromReplicaOfAStandaloneSourceIsAUsageError(RedisServer source, RedisServer target) {
		this.target = target;
		TestData.keys(20).loadInto(source);

		CliRun run = rejected(CliRun.copy(this.home, source.uri(), target.uri(), "--read-from", "replica"));

		assertThat(run.errorLine()).isEqualTo("error: --read-from replica needs a Redis Cluster source, and "
				+ source.uri() + "/0 is a standalone server");
		assertThat(run.hintLine()).contains("leave out --read-from");
	}

	@Test
	void severalHostsOfAStandaloneServerAreAUsageError(RedisServer source, RedisServer target) {
		this.target = target;
		TestData.keys(20).loadInto(source);

		CliRun run = rejected(CliRun.copy(this.home, source.uri() + ",127.0.0.1:" + target.port(), target.uri()));

		assertThat(run.errorLine()).startsWith("error: the source " + source.uri() + ",127.0.0.1:" + target.port()
				+ "/0 lists several hosts, which only a Redis Cluster may have");
		assertThat(run.hintLine()).isEqualTo("hint: give one host:port in --source");
	}

	private static CliRun rejected(CliRun run) {
		run.assertExitCode(ExitCode.USAGE).assertJsonError();
		return run;
	}

	private static int unusedPort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
	}

}
