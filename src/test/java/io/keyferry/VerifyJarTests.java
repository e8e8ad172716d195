package io.keyferry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyferryProcesses;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisPipe;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.keyferry.testsupport.RepositoryProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar verifying under faults: a verify killed with SIGKILL resumes (with
 * {@code keyferry resume}, no id) from its checkpoints instead of starting over, and
 * counts each key once over its executions; {@code stop} and {@code resume} without an id
 * find a verify run; writes to the source during a verify are not reported once they
 * settle, while a key that really differs is. Every test ends with a full comparison of
 * the two servers.
 */
@ExtendWith(RedisServerExtension.class)
class VerifyJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofMinutes(3);

	private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(90);

	@TempDir
	Path home;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@Test
	void killedVerifyOf300000KeysResumesWithoutStartingOver(RedisServer source, RedisServer target) {
		int keys = 300_000;
		RedisPipe.keys(keys).loadInto(source, target);

		KeyferryProcess killed = start("verify", "--source", source.uri(), "--target", target.uri(), "--json",
				"--chunk-size", "1000", "--scan-count", "1000", "--rate-limit", "30000", "--progress", "off");
		new RepositoryProbe(this.home).awaitCommittedChunks(killed, 5, PROGRESS_TIMEOUT);
		killed.kill();
		assertThat(killed.isAlive()).isFalse();

		KeyferryProcess resumed = start("resume", "--json", "--progress", "off");
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(0);
		assertThat(resumed.stderr()).contains("resuming run").contains("verify) from execution");
		CopySummary summary = resumed.summary();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.field("job")).isEqualTo("verify");
		long executionChecked = number(summary, "executionChecked");
		assertThat(executionChecked).as("keys the resumed execution checked")
			.isGreaterThan(0)
			.isLessThanOrEqualTo(keys - 5000);
		assertThat(number(summary, "checked")).as("keys checked over both executions, each once").isEqualTo(keys);
		assertThat(number(summary, "equal")).isEqualTo(keys);
		assertThat(number(summary, "differences")).isZero();
		KeyspaceComparison.assertSameContent(source, target);
	}

	/**
	 * The verify is held before its second pass (one key differs) while {@code stop}
	 * without an id asks it to stop, so that it is still running whatever the machine's
	 * speed; {@code resume} without an id then finishes it.
	 */
	@Test
	void stopAndResumeWithoutAnIdFindTheVerifyRun(RedisServer source, RedisServer target) throws Exception {
		int keys = 2000;
		Path release = this.home.resolve("release-passes");
		KeyferryProcess verify = heldBeforeThePasses(source, target, keys, release);

		KeyferryProcess stop = start("stop");
		stop.awaitStderr(PROGRESS_TIMEOUT, "stop requested for execution");
		Files.createFile(release);
		assertThat(stop.waitFor(RUN_TIMEOUT)).as(stop::describe).isEqualTo(0);
		assertThat(verify.waitFor(RUN_TIMEOUT)).as(verify::describe).isEqualTo(3);
		CopySummary stopped = verify.summary();
		assertThat(stopped.status()).isEqualTo("STOPPED");
		assertThat(stop.stdout()).contains("execution " + stopped.executionId() + " STOPPED");

		KeyferryProcess resumed = start("resume", "--json", "--progress", "off");
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(4);
		CopySummary summary = resumed.summary();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.field("job")).isEqualTo("verify");
		assertThat(summary.runId()).isEqualTo(stopped.runId());
		assertThat(number(summary, "executionChecked")).as("the first pass was over before the stop").isZero();
		assertOnlyTheRealKeyDiffers(summary, keys, source, target);
		target.sync().set("real:1", "the source's value");
		KeyspaceComparison.assertSameContent(source, target);
	}

	/**
	 * The target restarts as the verify's second pass connects to both servers (held at
	 * {@code before-pass}, then killed, then let go): the pass connects again once the
	 * target is back, and reports the key that really differs.
	 */
	@Test
	void targetRestartedAsTheSecondPassConnectsIsConnectedAgain(RedisServer source,
			@RedisServerOptions(persistence = true) RedisServer target) throws Exception {
		int keys = 2000;
		Path release = this.home.resolve("release-passes");
		KeyferryProcess verify = heldBeforeThePasses(source, target, keys, release, "--retries", "10");
		verify.restartWhileHeld(target, release, "lost a connection while connecting to the servers", PROGRESS_TIMEOUT);

		assertThat(verify.waitFor(RUN_TIMEOUT)).as(verify::describe).isEqualTo(4);
		assertThat(verify.stderr()).contains("trying again (1 of 10)");
		CopySummary summary = verify.summary();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertOnlyTheRealKeyDiffers(summary, keys, source, target);
	}

	/**
	 * A writer changes 50 keys of the source while the first pass runs, and the target
	 * lags (as behind a live copy): every one of them differs in the first pass. When the
	 * first pass is over (held at {@code before-pass}) the writer stops and the target
	 * catches up; the later passes find them equal. One key really differs and stays
	 * reported.
	 */
	@Test
	void writesDuringAVerifyAreNotReportedOnceTheySettle(RedisServer source, RedisServer target) throws Exception {
		int keys = 2000;
		int churned = 50;
		RedisPipe.keys(keys).loadInto(source, target);
		for (int i = 0; i < churned; i++) {
			source.sync().set("churn:" + i, "v0");
			target.sync().set("churn:" + i, "v0");
		}
		source.sync().set("real:1", "the source's value");
		target.sync().set("real:1", "a damaged value");
		AtomicBoolean writing = new AtomicBoolean(true);
		AtomicLong writes = new AtomicLong();
		Thread writer = new Thread(() -> {
			long n = 1;
			while (writing.get()) {
				for (int i = 0; i < churned; i++) {
					source.sync().set("churn:" + i, "v" + n);
				}
				writes.incrementAndGet();
				n++;
			}
		}, "churn-writer");
		Path release = this.home.resolve("release-passes");
		writer.start();
		try {
			KeyferryProcess verify = this.processes.start(KeyferryProcess.in(this.home).haltAt("before-pass", release),
					"verify", "--source", source.uri(), "--target", target.uri(), "--json", "--chunk-size", "100",
					"--scan-count", "100", "--passes", "3", "--pass-pause", "0s", "--progress", "off");
			verify.awaitStderr(PROGRESS_TIMEOUT, "keyferry: halted at before-pass");
			writing.set(false);
			writer.join();
			assertThat(writes.get()).as("rounds of writes during the first pass").isPositive();
			assertThat(verify.stderr())
				.contains("pass 2 of 3: comparing again " + (churned + 1) + " keys that differed");
			// the writes settle: the target catches up with the source's last values
			for (int i = 0; i < churned; i++) {
				target.sync().set("churn:" + i, source.sync().get("churn:" + i));
			}
			Files.createFile(release);

			assertThat(verify.waitFor(RUN_TIMEOUT)).as(verify::describe).isEqualTo(4);
			CopySummary summary = verify.summary();
			assertThat(number(summary, "checked")).isEqualTo(keys + churned + 1);
			assertThat(number(summary, "differentValue")).isEqualTo(1);
			assertThat(number(summary, "differences")).isEqualTo(1);
			assertThat(number(summary, "missing") + number(summary, "differentType") + number(summary, "differentTtl")
					+ number(summary, "extra"))
				.isZero();

			KeyferryProcess show = start("show", Long.toString(summary.executionId()), "--differences", "all");
			assertThat(show.waitFor(RUN_TIMEOUT)).as(show::describe).isEqualTo(0);
			assertThat(show.stdout()).contains("differences: 1", "\"real:1\"").doesNotContain("churn:");
		}
		finally {
			writing.set(false);
			writer.join();
		}
		List<KeyspaceComparison.Difference> differences = KeyspaceComparison
			.compare(source, target, KeyspaceComparison.DEFAULT_TTL_TOLERANCE)
			.differences();
		assertThat(differences).singleElement()
			.satisfies((difference) -> assertThat(difference.printableKey()).isEqualTo("real:1"));
		target.sync().set("real:1", "the source's value");
		KeyspaceComparison.assertSameContent(source, target);
	}

	private static long number(CopySummary summary, String field) {
		Object value = summary.field(field);
		assertThat(value).as("%s in %s", field, summary).isInstanceOf(Number.class);
		return ((Number) value).longValue();
	}

	private KeyferryProcess start(String... args) {
		return this.processes.start(KeyferryProcess.in(this.home), args);
	}

	/**
	 * Loads the same {@code keys} keys into both servers and one that differs
	 * ({@code real:1}), and starts a verify that stops before its second pass until
	 * {@code release} exists.
	 * @return the verify, halted
	 */
	private KeyferryProcess heldBeforeThePasses(RedisServer source, RedisServer target, int keys, Path release,
			String... more) {
		RedisPipe.keys(keys).loadInto(source, target);
		source.sync().set("real:1", "the source's value");
		target.sync().set("real:1", "a damaged value");
		List<String> args = new ArrayList<>(List.of("verify", "--source", source.uri(), "--target", target.uri(),
				"--json", "--pass-pause", "0s", "--progress", "off"));
		args.addAll(List.of(more));
		KeyferryProcess verify = this.processes.start(KeyferryProcess.in(this.home).haltAt("before-pass", release),
				args.toArray(String[]::new));
		verify.awaitStderr(PROGRESS_TIMEOUT, "keyferry: halted at before-pass");
		return verify;
	}

	/**
	 * The verify of {@link #heldBeforeThePasses} checked every key once and reported
	 * {@code real:1} only, which is the one key that differs.
	 */
	private static void assertOnlyTheRealKeyDiffers(CopySummary summary, int keys, RedisServer source,
			RedisServer target) {
		assertThat(number(summary, "checked")).isEqualTo(keys + 1);
		assertThat(number(summary, "differentValue")).isEqualTo(1);
		assertThat(number(summary, "differences")).isEqualTo(1);
		assertThat(KeyspaceComparison.compare(source, target, KeyspaceComparison.DEFAULT_TTL_TOLERANCE).differences())
			.singleElement()
			.satisfies((difference) -> assertThat(difference.printableKey()).isEqualTo("real:1"));
	}

}
