package io.keyferry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyferryProcesses;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.keyferry.testsupport.RepositoryProbe;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar interrupted the ways a real run is: SIGKILL (OOM kill, node drain),
 * SIGTERM (Ctrl-C, systemd, Kubernetes), {@code keyferry stop} from another process, a
 * second copy started while the first runs, and a source restarted between two
 * executions. Each copy is rate-limited so that it is still running when it is
 * interrupted; progress is read from the job repository. Every execution's counts add up
 * (read = written + filtered + skipped) and the target ends equal to the source.
 */
@ExtendWith(RedisServerExtension.class)
class InterruptedCopyJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(90);

	private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(60);

	private static final int EXIT_OK = 0;

	private static final int EXIT_FAILED = 1;

	private static final int EXIT_STOPPED = 3;

	private static final String SOURCE_PASSWORD = "s3cret-source";

	/** 128 + 9: the process ended by SIGKILL before it could finish. */
	private static final int EXIT_SIGKILL = 137;

	@TempDir
	Path home;

	private RepositoryProbe repository;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@BeforeEach
	void createProbe() {
		this.repository = new RepositoryProbe(this.home);
	}

	@Test
	void resumesAfterSigkillMidRun(RedisServer source, RedisServer target) {
		TestData.keys(6000).loadInto(source);
		long total = source.sync().dbsize();
		String[] copy = copy(source, target, 2000);

		KeyferryProcess killed = start(copy);
		this.repository.awaitCommittedChunks(killed, 5, PROGRESS_TIMEOUT);
		killed.kill();
		assertThat(killed.waitFor(RUN_TIMEOUT)).as(killed::describe).isEqualTo(EXIT_SIGKILL);
		long killedExecution = this.repository.latestExecutionId();
		assertThat(this.repository.jobStatus(killedExecution)).isEqualTo("STARTED");

		KeyferryProcess resumed = start(copy);
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(EXIT_OK);
		assertThat(resumed.stderr()).contains(
				"execution " + killedExecution + " was left STARTED by pid " + killed.pid() + " on ",
				"which is gone: recovering it", "resuming run " + this.repository.runId(killedExecution));
		CopySummary summary = resumed.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.runId()).isEqualTo(this.repository.runId(killedExecution));
		assertThat(summary.executionId()).isGreaterThan(killedExecution);
		assertThat(summary.read()).as("keys read by the resumed execution").isPositive().isLessThan(total);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void sigtermStopsGracefullyAndResumes(@RedisServerOptions(password = SOURCE_PASSWORD) RedisServer source,
			RedisServer target) throws IOException {
		TestData.keys(6000).loadInto(source);
		long total = source.sync().dbsize();

		KeyferryProcess stopped = startWithSourcePassword(SOURCE_PASSWORD, copy(source, target, 2000));
		this.repository.awaitCommittedChunks(stopped, 5, PROGRESS_TIMEOUT);
		stopped.terminate();
		assertThat(stopped.waitFor(RUN_TIMEOUT)).as(stopped::describe).isEqualTo(EXIT_STOPPED);
		assertThat(stopped.stderr()).contains("stopping after the current chunk (checkpoint kept)",
				"stopped: the run was stopped");
		CopySummary first = stopped.summary().assertCountsAddUp();
		assertThat(first.status()).isEqualTo("STOPPED");
		assertThat(first.error()).isEqualTo("the run was stopped");
		assertThat(first.read()).isPositive().isLessThan(total);
		assertThat(this.repository.jobStatus(first.executionId())).isEqualTo("STOPPED");
		assertThat(this.repository.stepStatuses(first.executionId())).isNotEmpty()
			.containsKey("copy-partition:node0.range0")
			.allSatisfy((step, status) -> assertThat(status).as("status of step %s", step).isEqualTo("STOPPED"));

		// no URIs: the run's endpoints come from the repository, the password from the
		// environment
		KeyferryProcess resumed = startWithSourcePassword(SOURCE_PASSWORD, "resume", "--json", "--progress", "off");
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(EXIT_OK);
		assertThat(resumed.stderr())
			.contains("resuming run " + first.runId() + " (#1) from execution " + first.executionId() + " (STOPPED)");
		CopySummary second = resumed.summary().assertCountsAddUp();
		assertThat(second.status()).isEqualTo("COMPLETED");
		assertThat(second.runId()).isEqualTo(first.runId());
		assertThat(second.read()).isLessThan(total);
		assertThat(first.written() + second.written()).as("keys written by both executions")
			.isGreaterThanOrEqualTo(total);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
		assertThat(stopped.stdout() + stopped.stderr() + resumed.stdout() + resumed.stderr() + logs())
			.doesNotContain(SOURCE_PASSWORD);
		assertThat(repositoryFiles()).as("job repository files").doesNotContain(SOURCE_PASSWORD);
	}

	@Test
	void stopFromAnotherProcess(RedisServer source, RedisServer target) {
		TestData.keys(20_000).loadInto(source);

		// slower than the others: it must outlast the start of a second JVM
		KeyferryProcess copy = start(copy(source, target, 1000));
		this.repository.awaitCommittedChunks(copy, 5, PROGRESS_TIMEOUT);
		KeyferryProcess stop = start("stop");
		assertThat(stop.waitFor(RUN_TIMEOUT)).as(stop::describe).isEqualTo(EXIT_OK);
		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(EXIT_STOPPED);
		CopySummary stopped = copy.summary().assertCountsAddUp();
		assertThat(stopped.status()).isEqualTo("STOPPED");
		assertThat(stop.stdout()).contains("execution " + stopped.executionId() + " STOPPED");
		assertThat(this.repository.jobStatus(stopped.executionId())).isEqualTo("STOPPED");

		// the rate limit is a tuning option, not part of the run's identity: lifting it
		// still resumes the same run
		KeyferryProcess again = start(copy(source, target, 0));
		assertThat(again.waitFor(RUN_TIMEOUT)).as(again::describe).isEqualTo(EXIT_OK);
		assertThat(again.stderr()).contains("resuming run " + stopped.runId());
		CopySummary completed = again.summary().assertCountsAddUp();
		assertThat(completed.status()).isEqualTo("COMPLETED");
		assertThat(completed.runId()).isEqualTo(stopped.runId());
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void refusesSecondCopyWhileFirstRuns(RedisServer source, RedisServer target) throws IOException {
		TestData.keys(20_000).loadInto(source);
		long total = source.sync().dbsize();
		String[] copy = copy(source, target, 0);
		Path release = this.home.resolve("release");

		// the first copy owns its run and stays halted as its partitions start (no
		// repository transaction open) for as long as the second JVM takes to reach the
		// owner check, however loaded the machine
		KeyferryProcess first = this.processes
			.start(KeyferryProcess.in(this.home).haltAt("partition-connected", release), copy);
		first.awaitStderr(PROGRESS_TIMEOUT, "keyferry: halted at partition-connected");
		KeyferryProcess second = start(copy);
		assertThat(second.waitFor(RUN_TIMEOUT)).as(second::describe).isEqualTo(EXIT_FAILED);
		assertThat(first.isAlive()).as("the first copy still runs when the second is refused").isTrue();
		assertThat(second.stderr()).as(second::describe)
			.contains("error: run ", "is being copied right now by pid " + first.pid() + " on ");
		assertThat(JsonDocument.object(second.stdout())).as("the --json copy's only output")
			.containsEntry("status", "ERROR")
			.containsEntry("exitCode", (long) EXIT_FAILED);
		Files.createFile(release);

		assertThat(first.waitFor(RUN_TIMEOUT)).as(first::describe).isEqualTo(EXIT_OK);
		CopySummary summary = first.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.read()).isGreaterThanOrEqualTo(total);
		assertThat(this.repository.latestExecutionId()).as("executions in the repository")
			.isEqualTo(summary.executionId());
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void sourceRestartedBetweenExecutionsLosesNoKey(@RedisServerOptions(persistence = true) RedisServer source,
			RedisServer target) {
		TestData.keys(20_000).loadInto(source);
		long total = source.sync().dbsize();

		KeyferryProcess stopped = start(copy(source, target, 2000));
		this.repository.awaitCommittedChunks(stopped, 10, PROGRESS_TIMEOUT);
		stopped.terminate();
		assertThat(stopped.waitFor(RUN_TIMEOUT)).as(stopped::describe).isEqualTo(EXIT_STOPPED);
		CopySummary first = stopped.summary().assertCountsAddUp();
		assertThat(first.status()).isEqualTo("STOPPED");

		String runIdBefore = source.runId();
		source.restart();
		assertThat(source.runId()).as("run_id after the restart").isNotEqualTo(runIdBefore);
		assertThat(source.sync().dbsize()).as("keys reloaded after the restart").isEqualTo(total);

		// the same copy without its rate limit (a tuning option, not part of the run's
		// identity), so that the rescan of every key is quick
		KeyferryProcess resumed = start(copy(source, target, 0));
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(EXIT_OK);
		assertThat(resumed.stderr()).contains("resuming run " + first.runId(),
				"is a new server process since the checkpoint", "scanned again from the start");
		CopySummary second = resumed.summary().assertCountsAddUp();
		assertThat(second.status()).isEqualTo("COMPLETED");
		assertThat(second.runId()).isEqualTo(first.runId());
		assertThat(second.rescans()).isGreaterThanOrEqualTo(1);
		assertThat(second.read()).as("keys read by the rescan from the start").isGreaterThanOrEqualTo(total);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	/**
	 * A copy slow enough to interrupt: chunks of 100 keys, SCAN pages of about 100 keys
	 * (so that a few chunks move the checkpoint past the first page).
	 */
	private static String[] copy(RedisServer source, RedisServer target, int rateLimit) {
		return new String[] { "copy", "--source", source.uri(), "--target", target.uri(), "--json", "--chunk-size",
				"100", "--scan-count", "100", "--rate-limit", Integer.toString(rateLimit), "--progress", "plain",
				"--progress-interval", "1s" };
	}

	private KeyferryProcess start(String... args) {
		return this.processes.start(KeyferryProcess.in(this.home), args);
	}

	private KeyferryProcess startWithSourcePassword(String sourcePassword, String... args) {
		return this.processes.start(KeyferryProcess.in(this.home).env("KEYFERRY_SOURCE_PASSWORD", sourcePassword),
				args);
	}

	private String logs() throws IOException {
		return contents(this.home.resolve("logs"));
	}

	private String repositoryFiles() throws IOException {
		return contents(this.home.resolve("repository"));
	}

	/** The bytes of every file under a directory, one char per byte. */
	private static String contents(Path dir) throws IOException {
		StringBuilder contents = new StringBuilder();
		try (Stream<Path> files = Files.walk(dir)) {
			for (Path file : files.filter(Files::isRegularFile).toList()) {
				contents.append(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
			}
		}
		return contents.toString();
	}

}
