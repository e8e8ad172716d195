package io.keyferry.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.JsonDocument;
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
		List<String> skipped = new ArrayList<>();
		for (CopySummary execution : List.of(failed, resumed)) {
			CliRun show = CliRun.execute("show", "--home", this.home.toString(), Long.toString(execution.executionId()),
					"--json", "--skipped", "all");
			Map<String, Object> details = JsonDocument.object(show.assertExitCode(ExitCode.OK).out());
			((List<?>) details.get("skippedKeys"))
				.forEach((skip) -> skipped.add((String) JsonDocument.asObject(skip).get("key")));
		}
		assertThat(skipped).as("keys reported as skipped because they existed in the target")
			.containsExactlyInAnyOrder(new String(conflicting.get(0), StandardCharsets.US_ASCII),
					new String(conflicting.get(1), StandardCharsets.US_ASCII));
		assertThat(failed.skippedTotal() + resumed.skippedTotal()).isEqualTo(2);
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
