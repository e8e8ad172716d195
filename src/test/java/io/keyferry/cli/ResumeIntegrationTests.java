package io.keyferry.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.MemoryLimit;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests of runs and executions: a failed run resumes from its last checkpoint
 * with the same command or {@code keyferry resume}, a completed run is followed by the
 * next one, {@code --fresh} abandons an unfinished run.
 */
@ExtendWith(RedisServerExtension.class)
class ResumeIntegrationTests {

	private static final Duration TTL_TOLERANCE = Duration.ofMillis(100);

	private static final String[] FAST_RETRIES = { "--retries", "1", "--retry-backoff", "20ms" };

	private static final String[] SMALL_CHUNKS = { "--chunk-size", "60", "--scan-count", "60", "--threads", "2" };

	private static final int KEYS = 2400;

	@TempDir
	Path home;

	@Test
	void resumesFromLastCheckpointAfterTargetOutOfMemory(RedisServer source, RedisServer target) {
		int keys = TestData.keys(KEYS).loadInto(source).size();
		CopySummary first = failOnTargetOutOfMemory(source, target);

		MemoryLimit.lift(target);
		CliRun resumed = copy(source, target, SMALL_CHUNKS).assertExitCode(ExitCode.OK);

		CopySummary second = resumed.balancedSummary();
		assertThat(second.status()).isEqualTo("COMPLETED");
		assertThat(second.runId()).as("run id").isEqualTo(first.runId());
		assertThat(second.run()).isEqualTo(first.run());
		assertThat(second.executionId()).isNotEqualTo(first.executionId());
		assertThat(second.read()).as("keys read by the resumed execution").isLessThan(keys);
		assertThat(first.read() + second.read()).as("keys read by both executions").isGreaterThanOrEqualTo(keys);
		assertThat(resumed.err()).contains("resuming run " + first.runId());
		KeyspaceComparison.assertSameContent(source, target, TTL_TOLERANCE);
	}

	@Test
	void resumeByExecutionIdResumesARunThatFailed(RedisServer source, RedisServer target) {
		int keys = TestData.keys(KEYS).loadInto(source).size();
		CopySummary failed = failOnTargetOutOfMemory(source, target);
		MemoryLimit.lift(target);

		CliRun resumed = CliRun.resume(this.home, Long.toString(failed.executionId())).assertExitCode(ExitCode.OK);

		CopySummary summary = resumed.balancedSummary();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.runId()).isEqualTo(failed.runId());
		assertThat(summary.run()).isEqualTo(1);
		assertThat(summary.executionId()).isGreaterThan(failed.executionId());
		assertThat(summary.read()).isLessThan(keys);
		assertThat(failed.read() + summary.read()).isGreaterThanOrEqualTo(keys);
		KeyspaceComparison.assertSameContent(source, target, TTL_TOLERANCE);
	}

	@Test
	void resumeCompletesOnceTheKeyThatFailedAFailPolicyRunIsDeleted(RedisServer source, RedisServer target) {
		List<byte[]> keys = TestData.keys(300).loadInto(source);
		target.sync().set("kf:list:8", "in the way");
		CliRun failedRun = copy(source, target, "--on-conflict", "fail", "--chunk-size", "30")
			.assertExitCode(ExitCode.FAILED);
		CopySummary failed = failedRun.balancedSummary();
		assertThat(failed.error()).contains("kf:list:8");
		// what the hint says to do
		assertThat(failedRun.hintLine()).contains("delete it").contains("run the same command again");
		target.sync().del("kf:list:8");

		CliRun resumed = copy(source, target, "--on-conflict", "fail", "--chunk-size", "30");

		resumed.assertExitCode(ExitCode.OK);
		CopySummary summary = resumed.balancedSummary();
		assertThat(summary.runId()).isEqualTo(failed.runId());
		assertThat(failed.read() + summary.read()).isGreaterThanOrEqualTo(keys.size());
		KeyspaceComparison.assertSameContent(source, target, TTL_TOLERANCE);
	}

	@Test
	void startsTheNextRunAfterACompletedRun(RedisServer source, RedisServer target) {
		TestData.keys(200).loadInto(source);

		CopySummary first = copy(source, target).assertExitCode(ExitCode.OK).balancedSummary();
		source.sync().set("added:after-run-1", "v");
		CopySummary second = copy(source, target).assertExitCode(ExitCode.OK).balancedSummary();

		assertThat(first.run()).isEqualTo(1);
		assertThat(second.run()).isEqualTo(2);
		assertThat(second.runId()).isNotEqualTo(first.runId());
		assertThat(second.executionId()).isNotEqualTo(first.executionId());
		assertThat(second.status()).isEqualTo("COMPLETED");
		assertThat(second.read()).as("the next run copies everything again").isGreaterThanOrEqualTo(201);
		KeyspaceComparison.assertSameContent(source, target, TTL_TOLERANCE);
	}

	@Test
	void freshAbandonsTheUnfinishedRunAndStartsANewOne(RedisServer source, RedisServer target) {
		TestData.keys(300).loadInto(source);
		target.sync().set("kf:set:9", "in the way");
		CopySummary failed = copy(source, target, "--on-conflict", "fail").assertExitCode(ExitCode.FAILED)
			.balancedSummary();

		CliRun fresh = copy(source, target, "--fresh").assertExitCode(ExitCode.OK);

		CopySummary next = fresh.balancedSummary();
		assertThat(next.runId()).isNotEqualTo(failed.runId());
		assertThat(next.run()).isEqualTo(failed.run() + 1);
		assertThat(next.read()).isGreaterThanOrEqualTo(300);
		assertThat(fresh.err()).contains("abandoned unfinished run " + failed.runId());
		KeyspaceComparison.assertSameContent(source, target, TTL_TOLERANCE);
		CliRun resumeAbandoned = CliRun.resume(this.home, Long.toString(failed.executionId()))
			.assertExitCode(ExitCode.USAGE)
			.assertErrorWithHint();
		assertThat(resumeAbandoned.errorLine()).contains("abandoned");
		CliRun resumeAny = CliRun.resume(this.home).assertExitCode(ExitCode.USAGE).assertErrorWithHint();
		assertThat(resumeAny.errorLine()).isEqualTo("error: there is no unfinished run to resume");
	}

	@Test
	void resumeWithoutAnUnfinishedRunIsAUsageError(RedisServer source, RedisServer target) {
		CliRun nothingYet = CliRun.resume(this.home).assertExitCode(ExitCode.USAGE).assertJsonError();
		assertThat(nothingYet.errorLine()).isEqualTo("error: there is no keyferry job repository in " + this.home);
		assertThat(nothingYet.hintLine()).contains("keyferry copy");

		TestData.keys(50).loadInto(source);
		CopySummary completed = copy(source, target).assertExitCode(ExitCode.OK).balancedSummary();

		CliRun afterCompleted = CliRun.resume(this.home).assertExitCode(ExitCode.USAGE).assertJsonError();
		assertThat(afterCompleted.errorLine()).isEqualTo("error: there is no unfinished run to resume");
		assertThat(afterCompleted.hintLine()).contains("keyferry copy");
		CliRun completedById = CliRun.resume(this.home, Long.toString(completed.executionId()))
			.assertExitCode(ExitCode.USAGE)
			.assertErrorWithHint();
		assertThat(completedById.errorLine()).contains("completed").contains("nothing to resume");
	}

	@Test
	void resumeOfAnUnknownExecutionIsAUsageError(RedisServer source, RedisServer target) {
		TestData.keys(50).loadInto(source);
		copy(source, target).assertExitCode(ExitCode.OK);

		CliRun run = CliRun.resume(this.home, "424242");

		run.assertExitCode(ExitCode.USAGE).assertErrorWithHint();
		assertThat(run.errorLine()).isEqualTo("error: no execution 424242 in the job repository");
	}

	@Test
	void resumeRefusesAnotherSourceThanTheRunsOwn(RedisServer source, RedisServer target, RedisServer other) {
		TestData.keys(100).loadInto(source);
		target.sync().set("kf:set:3", "in the way");
		CopySummary failed = copy(source, target, "--on-conflict", "fail").assertExitCode(ExitCode.FAILED)
			.balancedSummary();
		target.sync().flushall();

		CliRun run = CliRun.resume(this.home, Long.toString(failed.executionId()), "--source", other.uri())
			.assertExitCode(ExitCode.USAGE)
			.assertErrorWithHint();

		assertThat(run.errorLine()).contains("--source " + other.uri() + "/0 is not this run's source");
		assertThat(target.sync().dbsize()).as("keys written to the target").isZero();
	}

	/**
	 * Runs a copy into a target that has room for about half of the source's keys:
	 * RESTORE fails with OOM part-way, and the run fails after its retries.
	 */
	private CopySummary failOnTargetOutOfMemory(RedisServer source, RedisServer target, String... options) {
		// both run the same redis-server: the empty target's memory is the source's
		// without its keys
		MemoryLimit.leaveHeadroom(target, (usedMemory(source) - usedMemory(target)) / 2);
		String[] all = new String[SMALL_CHUNKS.length + options.length];
		System.arraycopy(SMALL_CHUNKS, 0, all, 0, SMALL_CHUNKS.length);
		System.arraycopy(options, 0, all, SMALL_CHUNKS.length, options.length);

		CliRun failed = copy(source, target, all).assertExitCode(ExitCode.FAILED).assertErrorWithHint();

		CopySummary summary = failed.balancedSummary();
		assertThat(summary.status()).isEqualTo("FAILED");
		assertThat(summary.error()).contains("out of memory");
		assertThat(failed.errorLine()).contains("target " + target.uri() + "/0 is out of memory");
		assertThat(failed.hintLine()).contains("maxmemory").contains("resumable");
		assertThat(summary.written()).as("keys written before the target filled up").isPositive();
		assertThat(summary.read()).isLessThan(KEYS);
		assertThat((Double) summary.field("scanned")).isLessThan(1.0);
		return summary;
	}

	private CliRun copy(RedisServer source, RedisServer target, String... options) {
		String[] all = new String[options.length + FAST_RETRIES.length];
		System.arraycopy(FAST_RETRIES, 0, all, 0, FAST_RETRIES.length);
		System.arraycopy(options, 0, all, FAST_RETRIES.length, options.length);
		return CliRun.copy(this.home, source.uri(), target.uri(), all);
	}

	private static long usedMemory(RedisServer server) {
		return Long.parseLong(server.info("used_memory"));
	}

}
