package io.keyferry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.keyferry.redis.ScanRange;
import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyferryProcesses;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.keyferry.testsupport.RepositoryProbe;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The packaged jar while the source or the target becomes a new server process (restart,
 * failover): a SCAN cursor, and every slice of the cursor space, only means something in
 * the source process that issued it, and keys written to a target process that is gone
 * may be gone with it (DESIGN invariants 4 and 10). Each test makes partition 0's slice
 * of the source almost empty, so that it finishes long before the three others (copies
 * are rate-limited), and changes a server after partition 0 has finished: between two
 * executions (the copy killed) and during one; one test restarts the source as the
 * partitions start, between connecting and their first command. Every test ends with a
 * full comparison.
 */
@ExtendWith(RedisServerExtension.class)
class ServerRestartJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);

	private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(60);

	private static final int PARTITIONS = 4;

	/** Keys before partition 0's slice is thinned out. */
	private static final int KEYS = 24_000;

	/** Keys left in partition 0's slice. */
	private static final int KEPT_IN_SLICE_0 = 20;

	private static final String PARTITION_0 = "copy-partition:node0.range0";

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
	void finishedPartitionIsScannedAgainWhenTheSourceRestartedBetweenExecutions(
			@RedisServerOptions(persistence = true) RedisServer source, RedisServer target) {
		long total = loadWithSmallFirstSlice(source);

		KeyferryProcess killed = start(copy(source, target, 2000));
		awaitPartition0Finished(killed);
		killed.kill();
		killed.waitFor(RUN_TIMEOUT);
		assertOthersUnfinished(this.repository.latestExecutionId());

		String before = source.runId();
		source.restart();
		assertThat(source.runId()).isNotEqualTo(before);
		assertThat(source.sync().dbsize()).as("keys after the restart").isEqualTo(total);

		KeyferryProcess resumed = start(copy(source, target, 0));
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(0);
		assertThat(resumed.stderr()).contains("resuming run",
				"is a new server process since the checkpoint (run_id changed: restarted or failed over)",
				"partition node0.range0 is scanned again from the start (it had finished)");
		CopySummary summary = resumed.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.rescans()).as("partitions scanned again").isBetween(1L, (long) PARTITIONS);
		assertThat(summary.read()).as("keys read by the rescan of every slice").isGreaterThanOrEqualTo(total);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void sourceRestartedDuringTheRunLosesNoKey(@RedisServerOptions(persistence = true) RedisServer source,
			RedisServer target) {
		long total = loadWithSmallFirstSlice(source);

		KeyferryProcess copy = start(copy(source, target, 3000));
		awaitPartition0Finished(copy);
		long execution = this.repository.latestExecutionId();
		assertOthersUnfinished(execution);
		String before = source.runId();
		// the copy reconnects within its retries and goes on with cursors of the old
		// process unless it checks the process before each checkpoint
		source.restart();
		assertThat(source.runId()).isNotEqualTo(before);

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		assertThat(copy.stderr()).contains("is a new server process since the checkpoint",
				"scanned again from the start",
				// partition 0 had finished in the old process: a second pass scans it
				// again
				"are copied again before the run completes (pass 2)");
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.executionId()).as("one execution").isEqualTo(execution);
		// partition 0 in the second pass, and those still running when the source
		// restarted
		assertThat(summary.rescans()).as("partitions scanned again").isGreaterThanOrEqualTo(2);
		assertThat(source.sync().dbsize()).isEqualTo(total);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void targetRestartedWithoutPersistenceDuringTheRunIsWrittenAgain(RedisServer source, RedisServer target) {
		long total = loadWithSmallFirstSlice(source);

		KeyferryProcess copy = start(copy(source, target, 3000));
		awaitPartition0Finished(copy);
		long execution = this.repository.latestExecutionId();
		assertOthersUnfinished(execution);
		String before = target.runId();
		// no persistence: the new process starts empty, every key written so far is gone
		target.kill();
		target.restart();
		// (the copy writes to the new process as soon as it reconnects: its key count
		// says nothing here)
		assertThat(target.runId()).isNotEqualTo(before);

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		assertThat(copy.stderr()).contains("is a new server process since the checkpoint",
				"keys written to the old process may be lost, so they are copied again",
				"are copied again before the run completes (pass 2)");
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.executionId()).isEqualTo(execution);
		assertThat(summary.written()).as("keys written, counting those written twice").isGreaterThan(total);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void targetRestartedWithoutPersistenceBetweenExecutionsIsWrittenAgain(RedisServer source, RedisServer target) {
		long total = loadWithSmallFirstSlice(source);

		KeyferryProcess killed = start(copy(source, target, 2000));
		awaitPartition0Finished(killed);
		killed.kill();
		killed.waitFor(RUN_TIMEOUT);
		target.kill();
		target.restart();
		assertThat(target.sync().dbsize()).isZero();

		KeyferryProcess resumed = start(copy(source, target, 0));
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(0);
		assertThat(resumed.stderr()).contains("resuming run", "keys written to the old process may be lost",
				"partition node0.range0 is scanned again from the start (it had finished)");
		CopySummary summary = resumed.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.written()).isGreaterThanOrEqualTo(total);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	/**
	 * Loads the keys, then deletes all but a few of those in the first of four slices of
	 * the source's cursor space, so that partition 0 finishes long before the others. A
	 * slice of a cursor space split in a power of two holds the same buckets at every
	 * table size, so the slice is stable while this process lives.
	 * @return the keys left in the source
	 */
	private static long loadWithSmallFirstSlice(RedisServer source) {
		TestData.keys(KEYS).loadInto(source);
		RedisCommands<String, String> redis = source.sync();
		ScanRange slice = new ScanRange(0, PARTITIONS);
		List<String> inSlice = new ArrayList<>();
		ScanCursor cursor = ScanCursor.of(Long.toUnsignedString(slice.startCursor()));
		while (true) {
			KeyScanCursor<String> page = redis.scan(cursor, ScanArgs.Builder.limit(200));
			inSlice.addAll(page.getKeys());
			long next = Long.parseUnsignedLong(page.getCursor());
			if (slice.isEnd(next)) {
				break;
			}
			cursor = ScanCursor.of(page.getCursor());
		}
		assertThat(inSlice).as("keys in the first slice").hasSizeGreaterThan(KEYS / PARTITIONS / 2);
		List<String> doomed = inSlice.subList(KEPT_IN_SLICE_0, inSlice.size());
		for (int i = 0; i < doomed.size(); i += 500) {
			redis.del(doomed.subList(i, Math.min(doomed.size(), i + 500)).toArray(String[]::new));
		}
		return redis.dbsize();
	}

	/**
	 * The source killed while both partitions are halted between connecting and their
	 * first command, then restarted: it refuses connections, then answers {@code LOADING}
	 * for a few seconds while it reads its 3,000 keys back (200 µs per command of its
	 * append-only file, {@code key-load-delay}), and the partitions connect again once it
	 * serves.
	 */
	@Test
	void sourceRestartedAsThePartitionsStartIsConnectedAgain(
			@RedisServerOptions(persistence = true, args = { "--key-load-delay", "200" }) RedisServer source,
			RedisServer target) {
		List<byte[]> keys = TestData.keys(3000).loadInto(source);
		Path release = this.home.resolve("release");

		// both partitions halted once connected to the source, before asking it anything
		KeyferryProcess copy = this.processes.start(
				KeyferryProcess.in(this.home).haltAt("partition-connected", release), "copy", "--source", source.uri(),
				"--target", target.uri(), "--json", "--partitions", "2", "--retries", "10", "--progress", "off");
		copy.awaitStderr(RUN_TIMEOUT, "keyferry: halted at partition-connected");
		// the partitions' connections are gone and the source refuses new ones
		copy.restartWhileHeld(source, release, "lost a connection while connecting to the servers", RUN_TIMEOUT);

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		assertThat(copy.stderr()).contains("trying again (1 of 10)", "is loading its data set");
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.written()).isGreaterThanOrEqualTo(keys.size());
		assertThat(source.sync().dbsize()).isEqualTo(keys.size());
		KeyspaceComparison.assertSameContent(source, target);
	}

	private void awaitPartition0Finished(KeyferryProcess copy) {
		copy.awaitStderr(PROGRESS_TIMEOUT, "starting run", "resuming run");
		long deadline = System.nanoTime() + PROGRESS_TIMEOUT.toNanos();
		while (true) {
			long execution = this.repository.latestExecutionId();
			if (execution > 0 && "COMPLETED".equals(this.repository.stepStatuses(execution).get(PARTITION_0))) {
				return;
			}
			if (!copy.isAlive()) {
				fail("keyferry exited before partition 0 finished\n" + copy.describe());
			}
			if (System.nanoTime() > deadline) {
				fail("partition 0 did not finish within " + PROGRESS_TIMEOUT.toSeconds() + " s\n" + copy.describe());
			}
			RedisServer.pause(50);
		}
	}

	/** The precondition of every test: the server changes while other partitions run. */
	private void assertOthersUnfinished(long execution) {
		Map<String, String> steps = this.repository.stepStatuses(execution);
		assertThat(steps).as("partitions of execution %d", execution).hasSize(PARTITIONS + 1);
		assertThat(steps.entrySet()
			.stream()
			.filter((step) -> step.getKey().startsWith("copy-partition:") && !step.getKey().equals(PARTITION_0))
			.map(Map.Entry::getValue)).as("the other partitions are still running").containsOnly("STARTED");
	}

	/**
	 * A rate-limited copy in four partitions, chunks of 100 keys, SCAN pages of about 100
	 * keys.
	 */
	private static String[] copy(RedisServer source, RedisServer target, int rateLimit) {
		return new String[] { "copy", "--source", source.uri(), "--target", target.uri(), "--json", "--partitions",
				Integer.toString(PARTITIONS), "--chunk-size", "100", "--scan-count", "100", "--rate-limit",
				Integer.toString(rateLimit), "--progress", "plain", "--progress-interval", "1s" };
	}

	private KeyferryProcess start(String... args) {
		return this.processes.start(KeyferryProcess.in(this.home), args);
	}

}
