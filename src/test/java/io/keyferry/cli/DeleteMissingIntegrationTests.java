package io.keyferry.cli;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.keyferry.redis.PrefixRenames;
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
 * Integration tests of {@code copy --delete-missing} with the other filters: a target key
 * counts as the filter's when the run could have written it (its source name under
 * {@code --rename-prefix} matches {@code --match}; its type is {@code --type}), on a
 * Redis Cluster target too (each master scanned), and a dry run deletes nothing.
 */
@ExtendWith({ RedisServerExtension.class, RedisClusterExtension.class })
class DeleteMissingIntegrationTests {

	@TempDir
	Path home;

	@Test
	void renamedKeysOfAClusterTargetAreDeletedUnderTheirNewNamesOnly(RedisServer source,
			@RedisClusterOptions(replicas = 0) RedisCluster target) {
		List<byte[]> keys = TestData.keys(600).prefix("app:").loadInto(source);
		TestData.keys(50).seed(3).prefix("other:").loadInto(source);
		String[] options = { "--match", "app:*", "--rename-prefix", "app:=v2:", "--scan-count", "40" };
		CliRun.copy(this.home, source.uri(), target.seedUri(), options).assertExitCode(ExitCode.OK);
		List<byte[]> removed = new ArrayList<>();
		for (int i = 0; i < keys.size(); i += 20) {
			removed.add(keys.get(i));
		}
		source.binarySync().del(removed.toArray(byte[][]::new));
		// the image of a source key the source lacks: deleted; a key no rule can have
		// written (app:… is renamed), and keys outside --match: kept
		target.sync().set("v2:orphan", "x");
		target.sync().set("app:own", "x");
		target.sync().set("other:own", "x");

		CliRun run = CliRun.copy(this.home, source.uri(), target.seedUri(), append(options, "--delete-missing"))
			.assertExitCode(ExitCode.OK);

		assertThat(run.balancedSummary().field("deleted")).isEqualTo((long) removed.size() + 1);
		assertThat(target.sync().exists("v2:orphan", "app:own", "other:own")).isEqualTo(2);
		PrefixRenames renames = PrefixRenames.parse(List.of("app:=v2:"));
		KeyspaceComparison comparison = KeyspaceComparison.compare(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.DEFAULT_TTL_TOLERANCE,
				(key) -> (key.array()[0] == 'a') ? ByteBuffer.wrap(renames.targetKey(key.array())) : null);
		assertThat(comparison.differences().stream().filter((difference) -> difference.key()[0] == 'v'))
			.as(comparison::report)
			.isEmpty();
		assertThat(target.sync().keys("v2:*")).hasSize(keys.size() - removed.size());
	}

	@Test
	void onlyKeysOfTheTypeFilterAreDeletedAndADryRunOnlyCounts(RedisServer source, RedisServer target) {
		source.sync().set("s:kept", "x");
		target.sync().set("s:gone", "x");
		target.sync().hset("s:hash", "f", "v");
		String[] options = { "--match", "s:*", "--type", "string", "--delete-missing" };

		CliRun dryRun = CliRun.copy(this.home, source.uri(), target.uri(), append(options, "--dry-run"))
			.assertExitCode(ExitCode.OK);

		assertThat(dryRun.balancedSummary().field("deleted")).isEqualTo(1L);
		assertThat(target.sync().exists("s:gone", "s:hash")).isEqualTo(2);

		CliRun run = CliRun.copy(this.home, source.uri(), target.uri(), options).assertExitCode(ExitCode.OK);

		assertThat(run.balancedSummary().field("deleted")).isEqualTo(1L);
		assertThat(target.sync().keys("*")).containsExactlyInAnyOrder("s:kept", "s:hash");
	}

	/**
	 * A source with no keys at all (restarted without persistence, the wrong server) is
	 * not mirrored: the target keeps every key, the copy fails with a hint and write
	 * nothing; a dry run reports what would go; once the source has keys again the same
	 * command mirrors it.
	 */
	@Test
	void anEmptySourceIsNotMirroredOntoTheTarget(RedisServer source, RedisServer target) {
		source.sync().set("s:kept", "x");
		CliRun.copy(this.home, source.uri(), target.uri(), "--delete-missing").assertExitCode(ExitCode.OK);
		target.sync().set("s:only-in-target", "x");
		source.sync().flushall();

		CliRun refused = CliRun.copy(this.home, source.uri(), target.uri(), "--delete-missing")
			.assertExitCode(ExitCode.FAILED);

		assertThat(refused.err()).contains("holds no keys: --delete-missing would delete every key of the filter")
			.contains("hint: check that --source names the right server");
		assertThat(target.sync().keys("*")).containsExactlyInAnyOrder("s:kept", "s:only-in-target");
		assertThat(CliRun.copy(this.home, source.uri(), target.uri(), "--delete-missing", "--dry-run")
			.assertExitCode(ExitCode.OK)
			.balancedSummary()
			.field("deleted")).isEqualTo(2L);
		assertThat(target.sync().keys("*")).hasSize(2);

		source.sync().set("s:new", "y");
		CliRun mirrored = CliRun.copy(this.home, source.uri(), target.uri(), "--delete-missing")
			.assertExitCode(ExitCode.OK);

		assertThat(mirrored.balancedSummary().field("deleted")).isEqualTo(2L);
		KeyspaceComparison.assertSameContent(source, target);
	}

	private static String[] append(String[] options, String... more) {
		List<String> all = new ArrayList<>(List.of(options));
		all.addAll(List.of(more));
		return all.toArray(String[]::new);
	}

}
