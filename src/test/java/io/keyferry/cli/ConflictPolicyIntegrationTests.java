package io.keyferry.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import io.keyferry.redis.KeyNames;
import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests of keys that are not simply written: under {@code --on-conflict} keys
 * that already exist in the target are replaced, skipped with a record of each key, or
 * end the run; values over {@code --max-value-bytes} are skipped with a record of each
 * key.
 */
@ExtendWith(RedisServerExtension.class)
class ConflictPolicyIntegrationTests {

	private static final byte[] TARGETS_OWN = "the target's own value".getBytes(StandardCharsets.US_ASCII);

	private static final Duration TTL_TOLERANCE = Duration.ofMillis(100);

	@TempDir
	Path home;

	@Test
	void skipKeepsExistingKeysAndRecordsEachWithReasonExists(RedisServer source, RedisServer target) {
		List<byte[]> keys = TestData.keys(400).loadInto(source);
		List<byte[]> existing = new ArrayList<>(keys.subList(0, 3));
		for (int i = 10; i < keys.size(); i += 10) {
			existing.add(keys.get(i));
		}
		existing.forEach((key) -> target.binarySync().set(key, TARGETS_OWN));

		CliRun run = CliRun
			.copy(this.home, source.uri(), target.uri(), "--on-conflict", "skip", "--chunk-size", "40", "--scan-count",
					"40", "--threads", "2")
			.assertExitCode(ExitCode.OK);

		CopySummary summary = run.balancedSummary();
		assertThat(summary.skipped()).containsEntry("exists", (long) existing.size())
			.containsEntry("rejected", 0L)
			.containsEntry("tooLarge", 0L)
			.containsEntry("other", 0L);
		assertThat(summary.written()).isEqualTo(summary.read() - existing.size());
		assertThat(existing).allSatisfy(
				(key) -> assertThat(target.binarySync().get(key)).as("value of existing key %s", KeyNames.escape(key))
					.isEqualTo(TARGETS_OWN));
		KeyspaceComparison comparison = KeyspaceComparison.compare(source, target, TTL_TOLERANCE);
		assertThat(comparison.differences(KeyspaceComparison.Status.MISSING)).isEmpty();
		assertThat(comparison.differences(KeyspaceComparison.Status.EXTRA)).isEmpty();
		assertThat(comparison.differences().stream().map((d) -> KeyNames.escape(d.key())).collect(Collectors.toSet()))
			.as("keys that differ from the source: %s", comparison.differences())
			.isEqualTo(names(existing));

		List<Map<String, Object>> records = new JobRepositoryDatabase(this.home).query(
				"SELECT KEY_NAME, REASON, DETAIL FROM KEYFERRY_SKIPPED_KEY WHERE JOB_EXECUTION_ID = ?",
				summary.executionId());
		assertThat(records).hasSize(existing.size());
		assertThat(records).allSatisfy((record) -> {
			assertThat(record.get("REASON")).isEqualTo("exists");
			assertThat((String) record.get("DETAIL")).startsWith("BUSYKEY");
		});
		assertThat(records.stream().map((record) -> KeyNames.escape((byte[]) record.get("KEY_NAME"))).toList())
			.as("recorded key names")
			.doesNotHaveDuplicates()
			.containsExactlyInAnyOrderElementsOf(names(existing));
	}

	@Test
	void failEndsTheRunAtAnExistingKeyAndNamesIt(RedisServer source, RedisServer target) {
		List<byte[]> keys = TestData.keys(300).loadInto(source);
		byte[] binaryKey = keys.get(1);
		target.binarySync().set(binaryKey, TARGETS_OWN);

		CliRun run = CliRun.copy(this.home, source.uri(), target.uri(), "--on-conflict", "fail", "--chunk-size", "40")
			.assertExitCode(ExitCode.FAILED)
			.assertErrorWithHint();

		CopySummary summary = run.balancedSummary();
		assertThat(summary.status()).isEqualTo("FAILED");
		assertThat(KeyNames.escape(binaryKey)).isEqualTo("kf:hash:1:\\xffz");
		assertThat(summary.error()).contains("kf:hash:1:\\xffz").contains("already exists");
		assertThat(run.errorLine()).contains("kf:hash:1:\\xffz");
		assertThat(run.hintLine()).contains("--on-conflict");
		assertThat(summary.field("hint")).asString().contains("--on-conflict");
		assertThat(target.binarySync().get(binaryKey)).isEqualTo(TARGETS_OWN);
		assertThat(new JobRepositoryDatabase(this.home).count("SELECT COUNT(*) FROM KEYFERRY_SKIPPED_KEY"))
			.as("skip records of a failed chunk")
			.isZero();
	}

	@Test
	void replaceOverwritesExistingKeysByDefault(RedisServer source, RedisServer target) {
		List<byte[]> keys = TestData.keys(300).loadInto(source);
		for (int i = 0; i < keys.size(); i += 3) {
			target.binarySync().set(keys.get(i), TARGETS_OWN);
		}

		CliRun run = CliRun.copy(this.home, source.uri(), target.uri(), "--chunk-size", "40")
			.assertExitCode(ExitCode.OK);

		assertThat(run.balancedSummary().skippedTotal()).isZero();
		KeyspaceComparison.assertSameContent(source, target, TTL_TOLERANCE);
	}

	@Test
	void valuesOverTheSizeLimitAreSkippedAsTooLargeAndRecorded(RedisServer source, RedisServer target) {
		List<byte[]> keys = TestData.keys(300).loadInto(source);
		int limit = 4096;
		List<byte[]> large = keys.stream().filter((key) -> source.binarySync().dump(key).length > limit).toList();
		assertThat(large).as("keys whose payload exceeds %d bytes", limit).isNotEmpty();

		CliRun run = CliRun
			.copy(this.home, source.uri(), target.uri(), "--max-value-bytes", Integer.toString(limit), "--chunk-size",
					"40")
			.assertExitCode(ExitCode.OK);

		CopySummary summary = run.balancedSummary();
		assertThat(summary.skipped()).containsEntry("tooLarge", (long) large.size()).containsEntry("exists", 0L);
		assertThat(summary.written()).isEqualTo(summary.read() - large.size());
		assertThat(large).allSatisfy((key) -> assertThat(target.binarySync().exists(key)).isZero());
		assertThat(target.sync().dbsize()).isEqualTo(keys.size() - large.size());
		List<Map<String, Object>> records = new JobRepositoryDatabase(this.home).query(
				"SELECT KEY_NAME, REASON, DETAIL FROM KEYFERRY_SKIPPED_KEY WHERE JOB_EXECUTION_ID = ?",
				summary.executionId());
		assertThat(records).allSatisfy((record) -> {
			assertThat(record.get("REASON")).isEqualTo("too-large");
			assertThat((String) record.get("DETAIL")).contains("exceeds --max-value-bytes " + limit);
		});
		assertThat(records.stream().map((record) -> KeyNames.escape((byte[]) record.get("KEY_NAME"))).toList())
			.containsExactlyInAnyOrderElementsOf(names(large));
	}

	private static Set<String> names(List<byte[]> keys) {
		return keys.stream().map(KeyNames::escape).collect(Collectors.toSet());
	}

}
