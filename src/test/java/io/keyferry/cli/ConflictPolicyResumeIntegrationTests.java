package io.keyferry.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.MemoryLimit;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.AclSetuserArgs;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A run under {@code --on-conflict skip} or {@code fail} that fails part-way through a
 * chunk and is resumed: the resumed execution re-reads the page in progress, whose keys
 * the failed execution had partly written already. Those keys are keyferry's own writes,
 * not conflicts: they must neither be reported as skipped because they exist, nor stop a
 * {@code fail} run from ever completing.
 */
@ExtendWith(RedisServerExtension.class)
class ConflictPolicyResumeIntegrationTests {

	private static final String[] FAILING_FAST = { "--chunk-size", "50", "--scan-count", "50", "--retries", "1",
			"--retry-backoff", "20ms" };

	@TempDir
	Path home;

	@Test
	void keysWrittenBeforeAFailureAreNotReportedAsSkippedWhenResumedUnderSkip(RedisServer source, RedisServer target) {
		List<byte[]> keys = TestData.keys(1000).valueSize(64).loadInto(source);
		List<byte[]> conflicting = keys.subList(10, 12);
		for (byte[] key : conflicting) {
			target.binarySync().set(key, "old".getBytes(StandardCharsets.US_ASCII));
		}
		MemoryLimit.leaveHeadroom(target);

		CopySummary failed = copy(source, target, "skip").assertExitCode(ExitCode.FAILED).balancedSummary();
		MemoryLimit.lift(target);
		CopySummary resumed = copy(source, target, "skip").assertExitCode(ExitCode.OK).balancedSummary();

		assertThat(resumed.runId()).isEqualTo(failed.runId());
		List<String> expected = conflicting.stream().map((key) -> new String(key, StandardCharsets.US_ASCII)).toList();
		List<String> skippedBeforeFailure = skippedKeys(failed);
		List<String> skippedWhenResumed = skippedKeys(resumed);
		Set<String> skipped = new HashSet<>(skippedBeforeFailure);
		skipped.addAll(skippedWhenResumed);
		assertThat(skipped).as("keys reported as skipped because they existed in the target")
			.containsExactlyInAnyOrderElementsOf(expected);
		// a conflicting key skipped before the failure, in the page the resumed execution
		// re-reads, is skipped and recorded again by that execution (counted per
		// execution, like every re-read key): see the next test
		assertThat(failed.skipped().getOrDefault("exists", 0L)).isEqualTo(skippedBeforeFailure.size())
			.isEqualTo(failed.skippedTotal());
		assertThat(resumed.skipped().getOrDefault("exists", 0L)).isEqualTo(skippedWhenResumed.size())
			.isEqualTo(resumed.skippedTotal());
		assertThat(skippedBeforeFailure.size() + skippedWhenResumed.size()).isBetween(expected.size(),
				2 * expected.size());
	}

	/**
	 * The case the test above meets only when the failure falls just after a conflicting
	 * key's chunk, made certain: the whole source is one SCAN page, a target user who may
	 * not write one key fails the run (NOPERM) after the chunks holding both conflicting
	 * keys committed, and the resumed execution re-reads the page from its start.
	 */
	@Test
	void conflictsInThePageReReadByTheResumedExecutionAreSkippedAgainByIt(RedisServer source) {
		TestData.keys(200).valueSize(64).loadInto(source);
		List<String> order = blockOneKeyFarIntoThePage(source);
		String blocked = order.stream().filter((key) -> key.startsWith("blocked:")).findFirst().orElseThrow();
		List<String> conflicting = List.of(order.get(2), order.get(13));
		try (RedisServer target = RedisServer.builder().user("copier", "copier-pw", "~kf:*", "+@all").start()) {
			for (String key : conflicting) {
				target.sync().set(key, "old");
			}
			String targetUri = target.uri("copier", "copier-pw");
			String[] options = { "--chunk-size", "10", "--scan-count", "1000", "--partitions", "1", "--on-conflict",
					"skip" };

			CopySummary failed = CliRun.copy(this.home, source.uri(), targetUri, options)
				.assertExitCode(ExitCode.FAILED)
				.balancedSummary();
			assertThat(failed.error()).contains("NOPERM");
			assertThat(target.sync().exists(blocked)).isZero();
			target.sync().aclSetuser("copier", AclSetuserArgs.Builder.allKeys());
			CopySummary resumed = CliRun.copy(this.home, source.uri(), targetUri, options)
				.assertExitCode(ExitCode.OK)
				.balancedSummary();

			assertThat(resumed.runId()).isEqualTo(failed.runId());
			assertThat(skippedKeys(failed)).containsExactlyInAnyOrderElementsOf(conflicting);
			assertThat(skippedKeys(resumed)).as("the resumed execution re-read the page holding both conflicts")
				.containsExactlyInAnyOrderElementsOf(conflicting);
			assertThat(resumed.read()).isEqualTo(order.size());
			assertThat(resumed.written()).isEqualTo(order.size() - conflicting.size());
			assertThat(resumed.skipped()).containsEntry("exists", (long) conflicting.size());
			for (String key : conflicting) {
				assertThat(target.sync().get(key)).as("the target's own value of %s", key).isEqualTo("old");
				target.sync().del(key);
				source.sync().del(key);
			}
			KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
		}
	}

	/**
	 * Adds a key outside the {@code kf:} prefix that falls at least three chunks of ten
	 * into the source's single SCAN page, and returns the page in SCAN order.
	 */
	private static List<String> blockOneKeyFarIntoThePage(RedisServer source) {
		for (int attempt = 0; attempt < 100; attempt++) {
			String candidate = "blocked:" + attempt;
			source.sync().set(candidate, "v");
			List<String> order = stableScanOrder(source);
			int position = order.indexOf(candidate);
			if (position >= 30 && position < order.size() - 10) {
				return order;
			}
			source.sync().del(candidate);
		}
		throw new AssertionError("no key name fell at least 30 keys into the SCAN page and 10 before its end");
	}

	private static List<String> stableScanOrder(RedisServer source) {
		List<String> previous = null;
		for (int attempt = 0; attempt < 50; attempt++) {
			KeyScanCursor<String> page = source.sync().scan(ScanArgs.Builder.limit(1000));
			assertThat(page.isFinished()).as("the whole source in one SCAN page").isTrue();
			if (page.getKeys().equals(previous)) {
				return previous;
			}
			previous = page.getKeys();
			RedisServer.pause(100);
		}
		throw new AssertionError("the source's SCAN order kept changing (rehashing?)");
	}

	private List<String> skippedKeys(CopySummary execution) {
		CliRun show = CliRun.execute("show", "--home", this.home.toString(), Long.toString(execution.executionId()),
				"--json", "--skipped", "all");
		Map<String, Object> details = JsonDocument.object(show.assertExitCode(ExitCode.OK).out());
		List<String> keys = new ArrayList<>();
		for (Object skip : (List<?>) details.get("skippedKeys")) {
			Map<String, Object> record = JsonDocument.asObject(skip);
			assertThat(record.get("reason")).as("reason of the skip of %s", record.get("key")).isEqualTo("exists");
			keys.add((String) record.get("key"));
		}
		return keys;
	}

	@Test
	void aRunUnderFailCompletesWhenResumedAfterAFailurePartWay(RedisServer source, RedisServer target) {
		TestData.keys(1000).valueSize(64).loadInto(source);
		MemoryLimit.leaveHeadroom(target);

		CopySummary failed = copy(source, target, "fail").assertExitCode(ExitCode.FAILED).balancedSummary();
		assertThat(failed.error()).contains("OOM");
		MemoryLimit.lift(target);
		CliRun resumed = copy(source, target, "fail");

		resumed.assertExitCode(ExitCode.OK);
		assertThat(resumed.balancedSummary().runId()).isEqualTo(failed.runId());
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	private CliRun copy(RedisServer source, RedisServer target, String policy) {
		List<String> options = new ArrayList<>(List.of(FAILING_FAST));
		options.addAll(List.of("--on-conflict", policy));
		return CliRun.copy(this.home, source.uri(), target.uri(), options.toArray(String[]::new));
	}

}
