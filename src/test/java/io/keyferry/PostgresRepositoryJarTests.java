package io.keyferry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.keyferry.cli.KeyferryCommand;
import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyferryProcesses;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.PostgresDatabase;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static io.keyferry.testsupport.JsonDocument.number;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The packaged jar with a shared PostgreSQL job repository, as a scheduled or
 * multi-machine setup runs it: a copy killed with SIGKILL resumes from its checkpoint in
 * PostgreSQL, and a second process is refused the run that another one is copying, with
 * the owner named. The repository password comes from the environment.
 */
@ExtendWith(RedisServerExtension.class)
class PostgresRepositoryJarTests {

	@RegisterExtension
	static final PostgresDatabase postgres = new PostgresDatabase();

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(90);

	private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(60);

	/** Given to servers that trust loopback clients (they ignore it). */
	private static final String DECOY_PASSWORD = "Pg-jar-pw-8Vc";

	private static final int EXIT_OK = 0;

	private static final int EXIT_FAILED = 1;

	private static final int EXIT_STOPPED = 3;

	private static final int EXIT_SIGKILL = 137;

	@TempDir
	Path home;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@Test
	void aCopyKilledWithSigkillResumesFromItsCheckpointInPostgres(RedisServer source, RedisServer target)
			throws IOException {
		TestData.keys(6000).loadInto(source);
		long total = source.sync().dbsize();
		String[] copy = copy(source, target, 2000);

		KeyferryProcess killed = start(copy);
		awaitCommittedChunks(killed, 5);
		killed.kill();
		assertThat(killed.waitFor(RUN_TIMEOUT)).as(killed::describe).isEqualTo(EXIT_SIGKILL);
		long killedExecution = postgres.queryLong("SELECT MAX(job_execution_id) FROM keyferry_run_owner WHERE pid = ?",
				killed.pid());
		assertThat(status(killedExecution)).isEqualTo("STARTED");

		KeyferryProcess resumed = start(copy);
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(EXIT_OK);

		assertThat(resumed.stderr()).contains(
				"execution " + killedExecution + " was left STARTED by pid " + killed.pid() + " on " + hostName(),
				"which is gone: recovering it");
		CopySummary summary = resumed.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.executionId()).isGreaterThan(killedExecution);
		assertThat(summary.read()).as("keys read by the resumed execution").isPositive().isLessThan(total);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
		List<Map<String, Object>> history = history().stream()
			.filter((entry) -> number(entry, "runId") == summary.runId())
			.toList();
		assertThat(history).extracting((entry) -> number(entry, "executionId"))
			.containsExactly(summary.executionId(), killedExecution);
		assertThat(history).extracting((entry) -> entry.get("status")).containsExactly("COMPLETED", "FAILED");
		assertThat(number(history.get(1), "written")).as("keys the killed execution committed").isPositive();
		if (repositoryPassword().equals(DECOY_PASSWORD)) {
			assertThat(killed.stdout() + killed.stderr() + resumed.stdout() + resumed.stderr())
				.doesNotContain(DECOY_PASSWORD);
		}
	}

	@Test
	void aSecondProcessIsRefusedTheRunAnotherProcessIsCopying(RedisServer source, RedisServer target) {
		TestData.keys(12_000).loadInto(source);
		// 40 s of copying, ended by the test once the second process is refused: the
		// second JVM's start must not outlast the first copy on a loaded machine (8 s
		// did)
		String[] copy = copy(source, target, 300);

		KeyferryProcess first = start(copy);
		awaitCommittedChunks(first, 3);
		KeyferryProcess second = start(copy);
		assertThat(second.waitFor(RUN_TIMEOUT)).as(second::describe).isEqualTo(EXIT_FAILED);

		assertThat(first.isAlive()).as("the first copy still runs when the second is refused").isTrue();
		assertThat(second.stderr()).as(second::describe)
			.containsPattern("error: run \\d+ is being copied right now by pid " + first.pid() + " on "
					+ java.util.regex.Pattern.quote(hostName()) + " \\(last heartbeat \\d+ s ago\\)")
			.contains("hint: ", "keyferry stop");
		assertThat(JsonDocument.object(second.stdout())).as("the --json copy's only output")
			.containsEntry("status", "ERROR")
			.containsEntry("exitCode", (long) EXIT_FAILED);
		first.terminate();
		assertThat(first.waitFor(RUN_TIMEOUT)).as(first::describe).isEqualTo(EXIT_STOPPED);
		CopySummary stopped = first.summary().assertCountsAddUp();
		assertThat(postgres.queryLong("SELECT COUNT(*) FROM batch_job_execution WHERE job_instance_id = ?",
				stopped.runId()))
			.as("executions of the run: the refused process started none")
			.isOne();
		assertThat(status(stopped.executionId())).isEqualTo("STOPPED");
	}

	@Test
	void twoIdenticalCopiesStartedAtOnceOnAnEmptyDatabaseOneRunsTheOtherIsRefused(RedisServer source,
			RedisServer target) {
		TestData.keys(6000).loadInto(source);
		for (int round = 1; round <= 3; round++) {
			// a new database each round: creating the schema races too
			try (PostgresDatabase database = new PostgresDatabase().create()) {
				target.sync().flushall();
				Path released = this.home.resolve("released-" + round);
				KeyferryProcess.Builder builder = RunOwnershipJarTests.holdWinner(
						KeyferryProcess.in(this.home).env("KEYFERRY_REPOSITORY_PASSWORD", repositoryPassword()),
						released);
				KeyferryProcess[] both = RunOwnershipJarTests.startTogether(this.processes, builder, this.home, target,
						copy(database, source, target, 0));
				RunOwnershipJarTests.awaitRefusal(both, released);
				KeyferryProcess first = both[0];
				KeyferryProcess second = both[1];
				int firstExit = first.waitFor(RUN_TIMEOUT);
				int secondExit = second.waitFor(RUN_TIMEOUT);
				assertThat(List.of(firstExit, secondExit))
					.as("round %d:\n%s\n%s", round, first.describe(), second.describe())
					.containsExactlyInAnyOrder(EXIT_OK, EXIT_FAILED);
				KeyferryProcess winner = (firstExit == EXIT_OK) ? first : second;
				KeyferryProcess refused = (firstExit == EXIT_OK) ? second : first;
				RunOwnershipJarTests.assertOwnerMessageOnly(refused, winner.pid());
				assertThat(winner.summary().assertCountsAddUp().status()).isEqualTo("COMPLETED");
				assertThat(database.queryLong("SELECT COUNT(*) FROM batch_job_execution"))
					.as("round %d: executions", round)
					.isOne();
				KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
			}
		}
	}

	/**
	 * A rate-limited copy against the PostgreSQL repository: chunks of 100 keys, SCAN
	 * pages of about 100 keys.
	 */
	private static String[] copy(RedisServer source, RedisServer target, int rateLimit) {
		return copy(postgres, source, target, rateLimit);
	}

	private static String[] copy(PostgresDatabase database, RedisServer source, RedisServer target, int rateLimit) {
		return new String[] { "copy", "--repository-url", database.url(), "--repository-user", database.user(),
				"--source", source.uri(), "--target", target.uri(), "--json", "--chunk-size", "100", "--scan-count",
				"100", "--rate-limit", Integer.toString(rateLimit), "--progress", "plain", "--progress-interval",
				"1s" };
	}

	private KeyferryProcess start(String... args) {
		return this.processes
			.start(KeyferryProcess.in(this.home).env("KEYFERRY_REPOSITORY_PASSWORD", repositoryPassword()), args);
	}

	/** Waits until a running copy has committed chunks to the PostgreSQL repository. */
	private void awaitCommittedChunks(KeyferryProcess process, long chunks) {
		long deadline = System.nanoTime() + PROGRESS_TIMEOUT.toNanos();
		// the schema exists once the run has started
		process.awaitStderr(PROGRESS_TIMEOUT, "starting run", "resuming run");
		long committed = 0;
		while (committed < chunks) {
			if (!process.isAlive()) {
				fail("keyferry exited after " + committed + " committed chunks\n" + process.describe());
			}
			if (System.nanoTime() > deadline) {
				fail("keyferry committed " + committed + " of " + chunks + " chunks in time\n" + process.describe());
			}
			RedisServer.pause(100);
			committed = postgres.queryLong("SELECT COALESCE(SUM(s.commit_count), 0) FROM batch_step_execution s"
					+ " JOIN keyferry_run_owner o ON o.job_execution_id = s.job_execution_id"
					+ " WHERE o.pid = ? AND s.step_name LIKE 'copy-partition%'", process.pid());
		}
	}

	private static String status(long executionId) {
		List<Map<String, Object>> rows = postgres
			.query("SELECT status FROM batch_job_execution WHERE job_execution_id = ?", executionId);
		return rows.isEmpty() ? null : (String) rows.get(0).get("status");
	}

	private static String repositoryPassword() {
		return postgres.password().isEmpty() ? DECOY_PASSWORD : postgres.password();
	}

	/**
	 * {@code keyferry history --json} against the PostgreSQL repository, run in-process.
	 */
	private List<Map<String, Object>> history() throws IOException {
		Path passwordFile = Files.writeString(this.home.resolve("repository.password"), repositoryPassword());
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		ByteArrayOutputStream err = new ByteArrayOutputStream();
		int exitCode;
		try (PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
				PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
			exitCode = KeyferryCommand.execute(false, outStream, errStream, "history", "--home",
					this.home.resolve("history").toString(), "--repository-url", postgres.url(), "--repository-user",
					postgres.user(), "--repository-password-file", passwordFile.toString(), "--json", "--limit", "100");
		}
		assertThat(exitCode).as("history: %s", err.toString(StandardCharsets.UTF_8)).isZero();
		return JsonDocument.objects(out.toString(StandardCharsets.UTF_8));
	}

	private static String hostName() {
		try {
			return InetAddress.getLocalHost().getHostName();
		}
		catch (UnknownHostException ex) {
			return "localhost";
		}
	}

}
