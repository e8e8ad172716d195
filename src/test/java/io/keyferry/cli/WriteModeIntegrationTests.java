package io.keyferry.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.keyferry.redis.KeyNames;
import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.FallbackData;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.Keyspace;
import io.keyferry.testsupport.RedisCluster;
import io.keyferry.testsupport.RedisClusterExtension;
import io.keyferry.testsupport.RedisClusterOptions;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests of {@code --write-mode}: a Redis 7.0 source copied to a Redis 6.2
 * target, which cannot read 7.0's DUMP payloads, writes every key type by type (every
 * type, stream groups with their pending entries, expiry times), under each conflict
 * policy; {@code --write-mode types} does the same for every key of a same-version copy,
 * renamed; {@code --write-mode restore} keeps the old refusal.
 */
@ExtendWith({ RedisServerExtension.class, RedisClusterExtension.class })
class WriteModeIntegrationTests {

	/**
	 * A Redis 6.2 target has no PEXPIRETIME: the comparison counts its PTTLs from when a
	 * batch was sent, which a batch holding a value of megabytes delays by a few hundred
	 * milliseconds.
	 */
	private static final Duration TTL_TOLERANCE = KeyspaceComparison.LOOSE_TTL_TOLERANCE;

	private static final byte[] TARGETS_OWN = "the target's own value".getBytes(StandardCharsets.US_ASCII);

	@TempDir
	Path home;

	@Test
	void everyTypeReachesAnOlderTargetTypeByType(RedisServer source,
			@RedisServerOptions(old = true) RedisServer target) {
		assertThat(source.version()).startsWith("7.0");
		assertThat(target.version()).startsWith("6.2.");
		List<byte[]> keys = new ArrayList<>(TestData.keys(300).loadInto(source));
		keys.addAll(FallbackData.loadInto(source));

		CliRun run = CliRun.copy(this.home, source.uri(), target.uri(), "--chunk-size", "40", "--scan-count", "40")
			.assertExitCode(ExitCode.OK);

		CopySummary summary = run.balancedSummary();
		assertThat(summary.read()).isEqualTo(keys.size());
		assertThat(summary.written()).isEqualTo(keys.size());
		assertThat(summary.skippedTotal()).isZero();
		assertThat(summary.fallback()).containsEntry("olderTarget", (long) keys.size())
			.containsEntry("rejected", 0L)
			.containsEntry("writeMode", 0L);
		KeyspaceComparison.assertSameContent(source, target, TTL_TOLERANCE);
		assertThat(target.sync().keys("*keyferry-tmp*")).as("temporary keys left").isEmpty();
	}

	@Test
	void skipKeepsExistingKeysOfAnOlderTarget(RedisServer source, @RedisServerOptions(old = true) RedisServer target) {
		List<byte[]> keys = TestData.keys(120).loadInto(source);
		List<byte[]> existing = new ArrayList<>();
		for (int i = 0; i < keys.size(); i += 10) {
			existing.add(keys.get(i));
			target.binarySync().set(keys.get(i), TARGETS_OWN);
		}

		CliRun run = CliRun.copy(this.home, source.uri(), target.uri(), "--on-conflict", "skip", "--chunk-size", "40")
			.assertExitCode(ExitCode.OK);

		CopySummary summary = run.balancedSummary();
		assertThat(summary.skipped()).containsEntry("exists", (long) existing.size());
		assertThat(summary.written()).isEqualTo(keys.size() - existing.size());
		assertThat(summary.fallback()).containsEntry("olderTarget", (long) keys.size() - existing.size());
		assertThat(existing).allSatisfy((key) -> assertThat(target.binarySync().get(key)).isEqualTo(TARGETS_OWN));
		KeyspaceComparison comparison = KeyspaceComparison.compare(source, target, TTL_TOLERANCE);
		assertThat(comparison.differences().stream().map((d) -> KeyNames.escape(d.key())).distinct().toList())
			.as("keys that differ: %s", comparison.differences())
			.containsExactlyInAnyOrderElementsOf(existing.stream().map(KeyNames::escape).toList());
		List<Map<String, Object>> records = new JobRepositoryDatabase(this.home).query(
				"SELECT KEY_NAME, REASON FROM KEYFERRY_SKIPPED_KEY WHERE JOB_EXECUTION_ID = ?", summary.executionId());
		assertThat(records).hasSize(existing.size()).allSatisfy((r) -> assertThat(r.get("REASON")).isEqualTo("exists"));

		// run again: every key the first run wrote type by type is found the same
		CliRun again = CliRun
			.copy(this.home, source.uri(), target.uri(), "--on-conflict", "skip", "--chunk-size", "40", "--fresh")
			.assertExitCode(ExitCode.OK);
		assertThat(again.balancedSummary().skipped()).containsEntry("exists", (long) existing.size());
	}

	@Test
	void failEndsTheRunAtAnExistingKeyOfAnOlderTarget(RedisServer source,
			@RedisServerOptions(old = true) RedisServer target) {
		List<byte[]> keys = TestData.keys(60).loadInto(source);
		byte[] taken = keys.get(25);
		target.binarySync().set(taken, TARGETS_OWN);

		CliRun run = CliRun.copy(this.home, source.uri(), target.uri(), "--on-conflict", "fail", "--chunk-size", "100")
			.assertExitCode(ExitCode.FAILED)
			.assertErrorWithHint();

		assertThat(run.errorLine()).contains(KeyNames.escape(taken)).contains("already exists");
		assertThat(target.binarySync().get(taken)).isEqualTo(TARGETS_OWN);
		assertThat(target.sync().keys("*keyferry-tmp*")).isEmpty();
	}

	@Test
	void restoreModeRefusesAnOlderTarget(RedisServer source, @RedisServerOptions(old = true) RedisServer target) {
		TestData.keys(20).loadInto(source);

		CliRun run = CliRun.copy(this.home, source.uri(), target.uri(), "--write-mode", "restore")
			.assertExitCode(ExitCode.USAGE);

		assertThat(run.errorLine()).contains("older than the source");
		assertThat(run.hintLine()).contains("--write-mode auto");
		assertThat(target.sync().dbsize()).isZero();
	}

	@Test
	void typesModeWritesEveryKeyTypeByTypeUnderItsNewName(RedisServer source, RedisServer target) {
		List<byte[]> keys = new ArrayList<>(TestData.keys(200).loadInto(source));
		keys.addAll(FallbackData.loadInto(source));

		CliRun run = CliRun
			.copy(this.home, source.uri(), target.uri(), "--write-mode", "types", "--rename-prefix", "fb:=copy:",
					"--chunk-size", "50")
			.assertExitCode(ExitCode.OK);

		CopySummary summary = run.balancedSummary();
		assertThat(summary.written()).isEqualTo(keys.size());
		assertThat(summary.fallback()).containsEntry("writeMode", (long) keys.size()).containsEntry("olderTarget", 0L);
		KeyspaceComparison comparison = KeyspaceComparison.compare(Keyspace.of(source), Keyspace.of(target),
				TTL_TOLERANCE, WriteModeIntegrationTests::renamed);
		assertThat(comparison.isSame()).as(comparison.report()).isTrue();
		assertThat(target.sync().exists("copy:hll")).isOne();
	}

	@Test
	void typesModeBuildsEachKeyInItsOwnSlotOfAClusterTarget(RedisServer source,
			@RedisClusterOptions(masters = 3, replicas = 0) RedisCluster target) {
		List<byte[]> keys = new ArrayList<>(TestData.keys(150).loadInto(source));
		keys.addAll(FallbackData.loadInto(source));

		CliRun run = CliRun
			.copy(this.home, source.uri(), target.seedUri(), "--write-mode", "types", "--rename-prefix", "fb:=copy:",
					"--chunk-size", "50")
			.assertExitCode(ExitCode.OK);

		assertThat(run.balancedSummary().fallback()).containsEntry("writeMode", (long) keys.size());
		KeyspaceComparison comparison = KeyspaceComparison.compare(Keyspace.of(source), Keyspace.of(target),
				TTL_TOLERANCE, WriteModeIntegrationTests::renamed);
		assertThat(comparison.isSame()).as(comparison.report()).isTrue();
	}

	private static java.nio.ByteBuffer renamed(java.nio.ByteBuffer key) {
		byte[] name = key.array();
		if (new String(name, StandardCharsets.ISO_8859_1).startsWith("fb:")) {
			byte[] renamed = ("copy:" + new String(name, 3, name.length - 3, StandardCharsets.ISO_8859_1))
				.getBytes(StandardCharsets.ISO_8859_1);
			return java.nio.ByteBuffer.wrap(renamed);
		}
		return key;
	}

}
