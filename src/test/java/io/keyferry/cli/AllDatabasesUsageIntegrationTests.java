package io.keyferry.cli;

import java.io.IOException;
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
 * {@code --all-databases} where it cannot work: a URI that names a database, a Redis
 * Cluster on either side (database 0 only), a user without {@code SELECT}, a target with
 * fewer databases than the source uses. Each is a usage error (exit 2, one error line and
 * a hint) with no run recorded and nothing written.
 */
@ExtendWith(RedisServerExtension.class)
class AllDatabasesUsageIntegrationTests {

	@TempDir
	Path home;

	private RedisServer target;

	@AfterEach
	void nothingWasWrittenOrRecorded() {
		if (this.target != null) {
			assertThat(this.target.sync().info("keyspace")).as("keys written to the target").doesNotContain("keys=");
		}
		if (Files.exists(this.home.resolve("repository").resolve("keyferry.mv.db"))) {
			assertThat(new JobRepositoryDatabase(this.home).count("SELECT COUNT(*) FROM BATCH_JOB_EXECUTION"))
				.as("executions recorded")
				.isZero();
		}
	}

	@Test
	void aSourceUriWithADatabaseIsRefused() {
		CliRun run = rejected(
				CliRun.copy(this.home, "redis://127.0.0.1:6390/3", "redis://127.0.0.1:6391", "--all-databases"));

		assertThat(run.errorLine()).isEqualTo(
				"error: --all-databases copies every database, and --source names one (redis://127.0.0.1:6390/3)");
		assertThat(run.hintLine()).contains("remove the /db from --source");
		assertThat(this.home.resolve("repository")).doesNotExist();
	}

	@Test
	void aTargetUriWithDatabaseZeroIsRefusedToo() {
		CliRun run = rejected(
				CliRun.copy(this.home, "redis://127.0.0.1:6390", "redis://127.0.0.1:6391/0", "--all-databases"));

		assertThat(run.errorLine()).contains("--target names one (redis://127.0.0.1:6391/0)");
	}

	@Test
	void severalSeedsAreAClusterWhichHasDatabaseZeroOnly() {
		CliRun run = rejected(CliRun.copy(this.home, "redis://127.0.0.1:7000,127.0.0.1:7001", "redis://127.0.0.1:6391",
				"--all-databases"));

		assertThat(run.errorLine()).contains("--all-databases needs standalone servers, and --source lists several");
	}

	@Test
	void aClusterNodeIsRefusedWhenTheServersAreChecked(RedisServer source) {
		try (RedisServer cluster = RedisServer.builder().clusterBusPort().args("--cluster-enabled", "yes").start()) {
			this.target = cluster;
			TestData.keys(10).loadInto(source);

			CliRun run = rejected(CliRun.copy(this.home, source.uri(), cluster.uri(), "--all-databases"));

			assertThat(run.errorLine()).isEqualTo("error: --all-databases needs standalone servers, and the target "
					+ cluster.uri() + "/0 is a Redis Cluster, which has database 0 only");
			assertThat(run.hintLine()).isEqualTo("hint: leave out --all-databases to copy the cluster's keys");
			this.target = null;
		}
	}

	@Test
	void aTargetUserWithoutSelectIsNamedWithTheGrant(RedisServer source) {
		try (RedisServer denied = RedisServer.builder().user("copier", "copier-pw", "~*", "+@all", "-select").start()) {
			TestData.keys(10).loadInto(source);

			CliRun run = rejected(
					CliRun.copy(this.home, source.uri(), denied.uri("copier", "copier-pw"), "--all-databases"));

			assertThat(run.errorLine()).contains("the target user copier may not run SELECT");
			assertThat(run.hintLine()).contains("+select");
			assertThat(denied.sync().dbsize()).isZero();
		}
	}

	@Test
	void aTargetWithFewerDatabasesThanTheSourceUsesIsRefused(RedisServer source,
			@RedisServerOptions(args = { "--databases", "4" }) RedisServer target) {
		this.target = target;
		TestData.keys(10).loadInto(source);
		source.sync().swapdb(0, 15);

		CliRun run = rejected(CliRun.copy(this.home, source.uri(), target.uri(), "--all-databases"));

		assertThat(run.errorLine()).isEqualTo(
				"error: the source has keys in database 15, which the target " + target.uri() + "/0 does not have");
		assertThat(run.hintLine()).contains("give the target at least 16 databases");
	}

	@Test
	void aScheduleConfigWithADatabaseIsRefusedAtStart() throws IOException {
		Path config = this.home.resolve("nightly.yaml");
		Files.createDirectories(this.home);
		Files.writeString(config,
				"source: redis://127.0.0.1:6390/2\ntarget: redis://127.0.0.1:6391\nall-databases: true\n");

		CliRun run = CliRun.execute("schedule", "--home", this.home.toString(), "--cron", "0 0 2 * * *", "--config",
				config.toString());

		run.assertExitCode(ExitCode.USAGE).assertErrorWithHint();
		assertThat(run.errorLine()).contains("--all-databases copies every database, and --source names one");
	}

	private static CliRun rejected(CliRun run) {
		run.assertExitCode(ExitCode.USAGE).assertJsonError();
		return run;
	}

}
