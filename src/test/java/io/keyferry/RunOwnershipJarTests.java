package io.keyferry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyferryProcesses;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RepositoryProbe;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every run can be resumed or cleanly refused (invariant 11), with the packaged jar and
 * the default H2 repository: killed at the instants around the start of an execution (the
 * test hook {@code KEYFERRY_TEST_HALT_AT} blocks the process there until it is killed),
 * signalled twice, and started twice at the same instant. Each ends with the same command
 * copying everything.
 */
@ExtendWith(RedisServerExtension.class)
class RunOwnershipJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);

	private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(60);

	private static final int EXIT_OK = 0;

	private static final int EXIT_FAILED = 1;

	private static final int EXIT_STOPPED = 3;

	private static final int EXIT_SIGKILL = 137;

	private static final int RACE_ROUNDS = 2;

	private static final String LOST_CONNECTION = "the job repository's connection was lost";

	@TempDir
	Path home;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@Test
	void aCopyKilledBeforeItsFirstExecutionStartsAgainWithTheSameCommand(RedisServer source, RedisServer target) {
		TestData.keys(3000).loadInto(source);
		String[] copy = copy(source, target, 0);
		killAt("before-execution", copy);

		KeyferryProcess again = start(copy);
		assertThat(again.waitFor(RUN_TIMEOUT)).as(again::describe).isEqualTo(EXIT_OK);
		CopySummary summary = again.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.run()).as("the run that never had an execution is run #1").isEqualTo(1);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void aCopyKilledBeforeItsFirstExecutionStartsAgainWithFresh(RedisServer source, RedisServer target) {
		TestData.keys(3000).loadInto(source);
		killAt("before-execution", copy(source, target, 0));

		KeyferryProcess fresh = start(with(copy(source, target, 0), "--fresh"));
		assertThat(fresh.waitFor(RUN_TIMEOUT)).as(fresh::describe).isEqualTo(EXIT_OK);
		assertThat(fresh.summary().assertCountsAddUp().status()).isEqualTo("COMPLETED");
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void aCopyKilledBeforeItsOwnerIsRecordedIsRecoveredAtOnce(RedisServer source, RedisServer target) {
		TestData.keys(3000).loadInto(source);
		String[] copy = copy(source, target, 0);
		KeyferryProcess killed = killAt("before-owner", copy);
		long execution = new RepositoryProbe(this.home).latestExecutionId();
		assertThat(new RepositoryProbe(this.home).jobStatus(execution)).isEqualTo("STARTED");

		KeyferryProcess resumed = start(copy);
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(EXIT_OK);
		assertThat(resumed.stderr()).doesNotContain("being copied right now")
			.contains("execution " + execution + " was left STARTED by pid " + killed.pid() + " on ",
					"which is gone: recovering it");
		CopySummary summary = resumed.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.executionId()).isGreaterThan(execution);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void aSecondSignalWhileStoppingLeavesAResumableRun(RedisServer source, RedisServer target) {
		TestData.keys(6000).loadInto(source);
		RepositoryProbe repository = new RepositoryProbe(this.home);
		KeyferryProcess copy = this.processes
			.start(KeyferryProcess.in(this.home).env("KEYFERRY_TEST_HALT_AT", "stopping"), copy(source, target, 2000));
		repository.awaitCommittedChunks(copy, 3, PROGRESS_TIMEOUT);
		copy.terminate();
		// the stop is recorded; a partition is held at its chunk boundary, as if the
		// second Ctrl-C came while the current chunk finished
		copy.awaitStderr(PROGRESS_TIMEOUT, "keyferry: halted at stopping");
		copy.terminate();
		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(EXIT_STOPPED);
		long execution = repository.latestExecutionId();
		assertThat(repository.stepStatuses(execution)).as("partitions left running by the abort")
			.containsValue("STARTED");

		KeyferryProcess resumed = start(copy(source, target, 0));
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(EXIT_OK);
		assertThat(resumed.stderr()).contains("resuming run " + repository.runId(execution));
		CopySummary summary = resumed.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.runId()).isEqualTo(repository.runId(execution));
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void aProcessWhoseLeaseWasTakenOverCommitsNothingMore(RedisServer source, RedisServer target) {
		TestData.keys(6000).loadInto(source);
		RepositoryProbe repository = new RepositoryProbe(this.home);
		KeyferryProcess copy = start(copy(source, target, 1000));
		repository.awaitCommittedChunks(copy, 3, PROGRESS_TIMEOUT);
		// as a process on another host does once this one's heartbeat looked stale
		assertThat(repository.update("UPDATE KEYFERRY_RUN_LEASE SET TOKEN = 'taken-over', HOST = 'other-host',"
				+ " PID = 1, BEATS = 0, HEARTBEAT = CURRENT_TIMESTAMP WHERE PID = ?", copy.pid()))
			.isOne();

		// its next chunk is not committed: the run fails in this process
		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(EXIT_FAILED);
		assertThat(copy.stderr()).contains("this process no longer holds the run");
		long execution = repository.latestExecutionId();
		assertThat(repository.jobStatus(execution)).isEqualTo("FAILED");

		KeyferryProcess refused = start(copy(source, target, 0));
		assertThat(refused.waitFor(RUN_TIMEOUT)).as(refused::describe).isEqualTo(EXIT_FAILED);
		assertOwnerMessageOnly(refused, 1);
		// the other host is gone too: its heartbeat ages past the limit
		assertThat(repository
			.update("UPDATE KEYFERRY_RUN_LEASE SET HEARTBEAT = DATEADD(SECOND, -31, CURRENT_TIMESTAMP) WHERE PID = 1"))
			.isOne();
		KeyferryProcess resumed = start(copy(source, target, 0));
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(EXIT_OK);
		assertThat(resumed.stderr()).contains("resuming run " + repository.runId(execution));
		assertThat(resumed.summary().assertCountsAddUp().status()).isEqualTo("COMPLETED");
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void aKilledExecutionEndsAtItsOwnersLastHeartbeatInTheHistory(RedisServer source, RedisServer target) {
		TestData.keys(6000).loadInto(source);
		RepositoryProbe repository = new RepositoryProbe(this.home);
		String[] copy = copy(source, target, 1000);
		KeyferryProcess killed = start(copy);
		repository.awaitCommittedChunks(killed, 3, PROGRESS_TIMEOUT);
		killed.kill();
		long execution = repository.latestExecutionId();
		long ran = repository.ownerHeartbeat(execution) - repository.startTime(execution);

		Map<String, Object> entry = historyEntry(execution);
		assertThat(entry.get("status")).isEqualTo("STARTED");
		assertThat(entry.get("endTime")).as("end of the killed execution").isNotNull();
		assertThat(JsonDocument.number(entry, "durationMs")).as("from its start to its owner's last heartbeat")
			.isBetween(ran - 2, ran + 2);
		assertThat((String) entry.get("next")).contains("keyferry resume " + execution,
				"its process is gone: pid " + killed.pid() + " on ");

		KeyferryProcess resumed = start(copy(source, target, 0));
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(EXIT_OK);
		Map<String, Object> recovered = historyEntry(execution);
		assertThat(recovered.get("status")).isEqualTo("FAILED");
		assertThat(JsonDocument.number(recovered, "durationMs")).as("recovered: still ending at the last heartbeat")
			.isBetween(ran - 2, ran + 2);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	private Map<String, Object> historyEntry(long execution) {
		KeyferryProcess history = start("history", "--json");
		assertThat(history.waitFor(RUN_TIMEOUT)).as(history::describe).isEqualTo(EXIT_OK);
		return JsonDocument.objects(history.stdout())
			.stream()
			.filter((e) -> JsonDocument.number(e, "executionId") == execution)
			.findFirst()
			.orElseThrow(() -> new AssertionError("execution " + execution + " not in\n" + history.describe()));
	}

	@Test
	void twoIdenticalCopiesStartedAtOnceOneRunsTheOtherIsRefused(RedisServer source, RedisServer target) {
		TestData.keys(6000).loadInto(source);
		for (int round = 1; round <= RACE_ROUNDS; round++) {
			// a new home each round: opening the database and creating its schema race
			// too
			Path raceHome = this.home.resolve("race-" + round);
			target.sync().flushall();
			Path released = raceHome.resolve("released");
			KeyferryProcess[] both = startTogether(this.processes, holdWinner(KeyferryProcess.in(raceHome), released),
					raceHome, target, copy(source, target, 0));
			awaitRefusal(both, released);
			KeyferryProcess first = both[0];
			KeyferryProcess second = both[1];
			int firstExit = first.waitFor(RUN_TIMEOUT);
			int secondExit = second.waitFor(RUN_TIMEOUT);
			assertThat(List.of(firstExit, secondExit))
				.as("round %d:\n%s\n%s", round, first.describe(), second.describe())
				.containsExactlyInAnyOrder(EXIT_OK, EXIT_FAILED);
			KeyferryProcess winner = (firstExit == EXIT_OK) ? first : second;
			assertOwnerMessageOnly((firstExit == EXIT_OK) ? second : first, winner.pid());
			assertThat(winner.summary().assertCountsAddUp().status()).isEqualTo("COMPLETED");
			// the refused process may have served the repository's file to the winner
			// and taken the winner's transaction in flight with it when it exited: the
			// winner then resumed its run (an execution more, with a warning), or, when
			// the connection was lost before its execution started, read the repository
			// again (a warning, no execution more)
			long resumes = winner.stderr().lines().filter((line) -> line.contains(LOST_CONNECTION)).count();
			RepositoryProbe probe = new RepositoryProbe(raceHome);
			assertThat(probe.executionCount()).as("round %d: executions", round).isBetween(1L, 1 + resumes);
			assertThat(probe.executionsNotOwnedBy(winner.pid())).as("round %d: executions of another process", round)
				.isZero();
			KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
		}
	}

	/**
	 * The default H2 file is served to every other keyferry process by the process that
	 * opened it first; when that process ends, the transaction another process has in
	 * flight fails (H2 reconnects only outside a transaction). The serving process here
	 * is a scheduler waiting for its yearly tick; the copy under test is halted inside a
	 * chunk's transaction while the scheduler exits (SIGTERM: it exits normally, closing
	 * the file, as the refused copy did in CI's failure). The copy resumes by itself and
	 * copies everything. (Killed instead, the serving process leaves the copy the same
	 * lost connection; one case keeps the suite's time down, since H2 may take tens of
	 * seconds to start serving the file from the copy's process.)
	 */
	@Test
	void aCopyWhoseRepositoryServerEndsMidChunkResumesByItself(RedisServer source, RedisServer target)
			throws java.io.IOException {
		TestData.keys(3000).loadInto(source);
		Path config = java.nio.file.Files.writeString(this.home.resolve("yearly.yml"),
				"source: " + source.uri() + "\ntarget: " + target.uri() + "\n");
		KeyferryProcess serving = start("schedule", "--cron", "0 0 0 1 1 *", "--config", config.toString());
		serving.awaitStderr(PROGRESS_TIMEOUT, "scheduled: ");
		long deadline = System.nanoTime() + PROGRESS_TIMEOUT.toNanos();
		while (!opened(this.home, serving)) {
			assertThat(serving.isAlive()).as(serving::describe).isTrue();
			assertThat(System.nanoTime()).as("repository opened:\n%s", serving.describe()).isLessThan(deadline);
			RedisServer.pause(50);
		}
		Path go = this.home.resolve("go");
		KeyferryProcess copy = this.processes.start(KeyferryProcess.in(this.home).haltAt("chunk-commit", go),
				copy(source, target, 0));
		copy.awaitStderr(PROGRESS_TIMEOUT, "keyferry: halted at chunk-commit");
		serving.terminate();
		assertThat(serving.waitFor(RUN_TIMEOUT)).as(serving::describe).isEqualTo(EXIT_OK);
		java.nio.file.Files.createFile(go);

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(EXIT_OK);
		assertThat(copy.stderr()).as(copy::describe).contains(LOST_CONNECTION);
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(new RepositoryProbe(this.home).executionCount()).as("the interrupted execution and its resumption")
			.isEqualTo(2);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	/**
	 * Starts two identical copies so that they reach the job repository at the same
	 * instant: the target's writes are paused ({@code CLIENT PAUSE WRITE}), which holds
	 * each process's pre-flight {@code RESTORE} probe (made once its job repository is
	 * open), until both are held there; then the writes resume.
	 * @return the two processes
	 */
	static KeyferryProcess[] startTogether(KeyferryProcesses processes, KeyferryProcess.Builder builder, Path home,
			RedisServer target, String... args) {
		// with a connect timeout of its own, a copy checks the servers once Spring has
		// started (not while it starts), and waits that long for the held probe
		builder.env("KEYFERRY_CONNECTTIMEOUT", "120s");
		client(target, "PAUSE", "120000", "WRITE");
		try {
			KeyferryProcess first = processes.start(builder, args);
			KeyferryProcess second = processes.start(builder, args);
			long deadline = System.nanoTime() + PROGRESS_TIMEOUT.toNanos();
			while (held(target) < 2 || !opened(home, first) || !opened(home, second)) {
				assertThat(first.isAlive() && second.isAlive())
					.as("both run:\n%s\n%s", first.describe(), second.describe())
					.isTrue();
				assertThat(System.nanoTime())
					.as("both held before the repository:\n%s\n%s", first.describe(), second.describe())
					.isLessThan(deadline);
				RedisServer.pause(50);
			}
			return new KeyferryProcess[] { first, second };
		}
		finally {
			client(target, "UNPAUSE");
		}
	}

	/**
	 * Holds the process that wins a race for a run before it records itself as the owner
	 * of its execution (test hook {@code before-owner}, after it took the run's lease),
	 * until {@link #awaitRefusal} lets it go on: the other process is refused while the
	 * winner still holds the run, however long either takes, and the winner then copies
	 * without a rate limit.
	 * @param builder the options of both processes
	 * @param released the file whose creation lets the winner go on
	 * @return the builder
	 */
	static KeyferryProcess.Builder holdWinner(KeyferryProcess.Builder builder, Path released) {
		return builder.haltAt("before-owner", released);
	}

	/**
	 * Waits until one of two racing processes held by {@link #holdWinner} has exited (the
	 * refused one), then lets the other go on.
	 * @param both the processes
	 * @param released the file given to {@link #holdWinner}
	 */
	static void awaitRefusal(KeyferryProcess[] both, Path released) {
		long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
		while (both[0].isAlive() && both[1].isAlive()) {
			assertThat(System.nanoTime()).as("one refused:\n%s\n%s", both[0].describe(), both[1].describe())
				.isLessThan(deadline);
			RedisServer.pause(50);
		}
		try {
			java.nio.file.Files.createFile(released);
		}
		catch (java.io.IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
	}

	/** The target's clients held by the write pause (blocked on their probe). */
	private static long held(RedisServer target) {
		return target.sync().clientList().lines().filter((client) -> client.contains(" flags=b ")).count();
	}

	/** Whether a process has opened the job repository (its pool logged its start). */
	private static boolean opened(Path home, KeyferryProcess process) {
		try {
			return java.nio.file.Files.readString(home.resolve("logs").resolve("keyferry.log"))
				.lines()
				.anyMatch((line) -> line.contains(" " + process.pid() + " --- ")
						&& line.contains("keyferry-repository - Start completed"));
		}
		catch (java.io.IOException ex) {
			return false;
		}
	}

	private static void client(RedisServer server, String... args) {
		io.lettuce.core.protocol.CommandArgs<String, String> arguments = new io.lettuce.core.protocol.CommandArgs<>(
				io.lettuce.core.codec.StringCodec.UTF8);
		for (String arg : args) {
			arguments.add(arg);
		}
		server.sync()
			.dispatch(io.lettuce.core.protocol.CommandType.CLIENT,
					new io.lettuce.core.output.StatusOutput<>(io.lettuce.core.codec.StringCodec.UTF8), arguments);
	}

	/**
	 * Asserts that a refused process printed the one-line owner message and its hint, and
	 * nothing of the database underneath.
	 * @param refused the refused process
	 * @param owner the pid of the process that runs the copy
	 */
	static void assertOwnerMessageOnly(KeyferryProcess refused, long owner) {
		List<String> lines = refused.stderr().lines().toList();
		assertThat(lines).as(refused::describe).hasSize(2);
		assertThat(lines.get(0)).as(refused::describe)
			.startsWith("error: ")
			.contains("is being copied right now by pid " + owner + " on ");
		assertThat(lines.get(1)).as(refused::describe).startsWith("hint: ").contains("keyferry stop");
		// the copies run with --json: stdout holds the same error as one JSON object
		assertThat(refused.stdout().strip().lines()).as(refused::describe).hasSize(1);
		assertThat(JsonDocument.object(refused.stdout())).as(refused::describe)
			.containsEntry("status", "ERROR")
			.containsEntry("exitCode", 1L)
			.containsEntry("error", lines.get(0).substring("error: ".length()))
			.containsEntry("hint", lines.get(1).substring("hint: ".length()));
	}

	/**
	 * Runs a copy until the test hook halts it at a point, then kills it.
	 * @return the killed process
	 */
	private KeyferryProcess killAt(String point, String... args) {
		KeyferryProcess process = this.processes
			.start(KeyferryProcess.in(this.home).env("KEYFERRY_TEST_HALT_AT", point), args);
		process.awaitStderr(PROGRESS_TIMEOUT, "keyferry: halted at " + point);
		process.kill();
		assertThat(process.waitFor(RUN_TIMEOUT)).as(process::describe).isEqualTo(EXIT_SIGKILL);
		return process;
	}

	private KeyferryProcess start(String... args) {
		return this.processes.start(KeyferryProcess.in(this.home), args);
	}

	private static String[] with(String[] args, String... more) {
		String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
		System.arraycopy(more, 0, all, args.length, more.length);
		return all;
	}

	/**
	 * A copy with chunks of 100 keys, rate-limited when it must still run while it is
	 * interrupted.
	 */
	private static String[] copy(RedisServer source, RedisServer target, int rateLimit) {
		return new String[] { "copy", "--source", source.uri(), "--target", target.uri(), "--json", "--chunk-size",
				"100", "--scan-count", "100", "--rate-limit", Integer.toString(rateLimit), "--progress", "off" };
	}

}
