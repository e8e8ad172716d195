package io.keyferry.cli;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.keyferry.redis.PrefixRenames;
import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.Keyspace;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisCluster;
import io.keyferry.testsupport.RedisClusterExtension;
import io.keyferry.testsupport.RedisClusterOptions;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests of {@code --rename-prefix}: keys starting with a FROM are written
 * under its TO with the source's values and TTLs (the longest FROM wins), other matched
 * keys keep their names, {@code --match} still matches the source's names, the conflict
 * policy compares each source key with its target name, a cluster target gets each key on
 * the master of its new name's slot, and the rules are part of the run's identity.
 */
@ExtendWith({ RedisServerExtension.class, RedisClusterExtension.class })
class RenamePrefixIntegrationTests {

	private static final PrefixRenames RULES = PrefixRenames.parse(List.of("app:=v2:app:", "app:cache:=cache:"));

	@TempDir
	Path home;

	@Test
	void renamedKeysHoldTheSourceValuesAndTtlsAndMatchStillFiltersSourceNames(RedisServer source, RedisServer target) {
		TestData.keys(120).prefix("app:").loadInto(source);
		TestData.keys(60).seed(7).prefix("app:cache:").loadInto(source);
		TestData.keys(50).seed(8).prefix("archive:").loadInto(source);
		TestData.keys(40).seed(9).prefix("other:").loadInto(source);

		CliRun run = CliRun
			.copy(this.home, source.uri(), target.uri(), "--match", "a*", "--rename-prefix", "app:=v2:app:",
					"--rename-prefix", "app:cache:=cache:", "--chunk-size", "50")
			.assertExitCode(ExitCode.OK);

		CopySummary summary = run.balancedSummary();
		assertThat(summary.written()).isEqualTo(230);
		assertThat(target.sync().keys("app:*")).as("keys left under a renamed prefix").isEmpty();
		assertThat(target.sync().keys("cache:*")).hasSize(60);
		assertThat(target.sync().keys("v2:app:*")).hasSize(120);
		assertThat(target.sync().keys("archive:*")).as("matched keys no rule renames").hasSize(50);
		assertThat(target.sync().keys("other:*")).as("keys --match leaves out").isEmpty();
		KeyspaceComparison comparison = KeyspaceComparison.compare(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.DEFAULT_TTL_TOLERANCE, RenamePrefixIntegrationTests::matchedAndRenamed);
		assertThat(comparison.isSame()).as(comparison::report).isTrue();
		assertThat(comparison.sourceKeys()).isEqualTo(230);
	}

	@Test
	void skipComparesEachSourceKeyWithItsTargetNameAndRecordsTheSourceKey(RedisServer source, RedisServer target) {
		List<byte[]> keys = TestData.keys(100).prefix("app:").loadInto(source);
		String taken = new String(keys.get(12), StandardCharsets.UTF_8);
		String takenTarget = "v2:" + taken;
		target.sync().set(takenTarget, "the target's own value");

		CliRun first = CliRun
			.copy(this.home, source.uri(), target.uri(), "--rename-prefix", "app:=v2:app:", "--on-conflict", "skip",
					"--chunk-size", "30")
			.assertExitCode(ExitCode.OK);
		// the same keys again, all present in the target under their new names: each is
		// compared with its target name, found equal and counted as written
		CliRun second = CliRun
			.copy(this.home, source.uri(), target.uri(), "--rename-prefix", "app:=v2:app:", "--on-conflict", "skip",
					"--chunk-size", "30")
			.assertExitCode(ExitCode.OK);

		assertThat(first.balancedSummary().skipped()).containsEntry("exists", 1L);
		CopySummary again = second.balancedSummary();
		assertThat(again.skipped()).containsEntry("exists", 1L);
		assertThat(again.written()).isEqualTo(99);
		assertThat(target.sync().get(takenTarget)).isEqualTo("the target's own value");
		List<Map<String, Object>> records = new JobRepositoryDatabase(this.home)
			.query("SELECT KEY_NAME, DETAIL FROM KEYFERRY_SKIPPED_KEY WHERE JOB_EXECUTION_ID = ?", again.executionId());
		assertThat(records).singleElement().satisfies((record) -> {
			assertThat((byte[]) record.get("KEY_NAME")).isEqualTo(keys.get(12));
			assertThat((String) record.get("DETAIL")).contains("written as " + takenTarget);
		});
		KeyspaceComparison comparison = KeyspaceComparison.compare(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.DEFAULT_TTL_TOLERANCE, (key) -> renamed(key, RULES));
		assertThat(comparison.differences()).singleElement()
			.satisfies((difference) -> assertThat(difference.key()).isEqualTo(keys.get(12)));
	}

	@Test
	void anotherMappingIsAnotherRun(RedisServer source, RedisServer target) {
		TestData.keys(20).prefix("app:").loadInto(source);

		CliRun first = CliRun.copy(this.home, source.uri(), target.uri(), "--rename-prefix", "app:=one:")
			.assertExitCode(ExitCode.OK);
		CliRun second = CliRun.copy(this.home, source.uri(), target.uri(), "--rename-prefix", "app:=two:")
			.assertExitCode(ExitCode.OK);

		assertThat(second.err()).contains("starting run #1");
		assertThat(second.summary().runId()).isNotEqualTo(first.summary().runId());
		assertThat(target.sync().keys("one:*")).hasSize(20);
		assertThat(target.sync().keys("two:*")).hasSize(20);
	}

	@Test
	void aRuleWithoutEqualsOrWithAnEmptyFromIsAUsageError(RedisServer source, RedisServer target) {
		for (String rule : List.of("app:", "=new:")) {
			CliRun run = CliRun.copy(this.home, source.uri(), target.uri(), "--rename-prefix", rule)
				.assertExitCode(ExitCode.USAGE)
				.assertErrorWithHint();
			assertThat(run.errorLine()).contains("invalid --rename-prefix");
			assertThat(run.hintLine()).contains("FROM=TO");
		}
	}

	@Test
	void theConfigFileTakesAListOfRules(RedisServer source, RedisServer target) throws Exception {
		TestData.keys(30).prefix("app:").loadInto(source);
		TestData.keys(10).seed(3).prefix("app:cache:").loadInto(source);
		Path config = this.home.resolve("copy.yml");
		Files.writeString(config, "rename-prefix:\n  - \"app:=v2:app:\"\n  - \"app:cache:=cache:\"\n");

		CliRun.copy(this.home, source.uri(), target.uri(), "--config", config.toString()).assertExitCode(ExitCode.OK);

		KeyspaceComparison comparison = KeyspaceComparison.compare(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.DEFAULT_TTL_TOLERANCE, (key) -> renamed(key, RULES));
		assertThat(comparison.isSame()).as(comparison::report).isTrue();
	}

	@Test
	void aClusterTargetGetsEachKeyOnTheMasterOfItsNewNamesSlot(RedisServer source,
			@RedisClusterOptions(masters = 3, replicas = 0) RedisCluster target) {
		TestData.keys(300).prefix("app:").loadInto(source);

		CliRun.copy(this.home, source.uri(), target.seedUri(), "--rename-prefix", "app:=v2:app:", "--chunk-size", "50")
			.assertExitCode(ExitCode.OK);

		KeyspaceComparison comparison = KeyspaceComparison.compare(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE, (key) -> renamed(key, RULES));
		assertThat(comparison.isSame()).as(comparison::report).isTrue();
	}

	private static ByteBuffer matchedAndRenamed(ByteBuffer key) {
		return (key.array().length > 0 && key.array()[0] == 'a') ? renamed(key, RULES) : null;
	}

	private static ByteBuffer renamed(ByteBuffer key, PrefixRenames renames) {
		return ByteBuffer.wrap(renames.targetKey(key.array()));
	}

}
