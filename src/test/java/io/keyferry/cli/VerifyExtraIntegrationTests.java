package io.keyferry.cli;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import io.keyferry.redis.PrefixRenames;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.Keyspace;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisCluster;
import io.keyferry.testsupport.RedisClusterExtension;
import io.keyferry.testsupport.RedisClusterOptions;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests of {@code verify --extra} where a target key's name alone does not
 * say where to look: a Redis Cluster target (each master scanned, each key checked on the
 * master of its slot, {@code --delete-extra} deleting there) and {@code --rename-prefix}
 * (a target key is looked up in the source under the name it was copied from, and
 * reported by its target name). One cluster serves every test.
 */
@ExtendWith({ RedisServerExtension.class, RedisClusterExtension.class })
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VerifyExtraIntegrationTests {

	@TempDir
	Path temp;

	/** Each test's own repository (the temporary directory is the class's). */
	private Path home;

	private RedisCluster cluster;

	@BeforeAll
	void startCluster(@RedisClusterOptions(replicas = 0) RedisCluster cluster) {
		this.cluster = cluster;
	}

	@BeforeEach
	void emptyCluster() throws java.io.IOException {
		this.cluster.sync().flushall();
		this.home = java.nio.file.Files.createTempDirectory(this.temp, "home");
	}

	@Test
	void extraKeysOnEveryMasterOfAClusterTargetAreReportedAndDeleted(RedisServer source) {
		List<byte[]> keys = TestData.keys(300).prefix("app:").loadInto(source);
		TestData.keys(30).seed(3).prefix("other:").loadInto(source);
		String[] filter = { "--match", "app:*", "--scan-count", "40" };
		CliRun.copy(this.home, source.uri(), this.cluster.seedUri(), filter).assertExitCode(ExitCode.OK);
		// extra: keys the source never had, and keys deleted from the source after the
		// copy, two of each on every master
		Set<String> extra = new HashSet<>();
		Map<String, Integer> perMaster = new LinkedHashMap<>();
		for (int i = 0; perMaster.size() < 3 || perMaster.values().stream().anyMatch((n) -> n < 2); i++) {
			String key = "app:stray:" + i;
			String master = this.cluster.masterOf(key.getBytes(StandardCharsets.UTF_8)).id();
			if (perMaster.getOrDefault(master, 0) < 2) {
				perMaster.merge(master, 1, Integer::sum);
				this.cluster.sync().set(key, "only in the target");
				extra.add(key);
			}
		}
		List<byte[]> removed = new ArrayList<>();
		for (int i = 0; i < keys.size(); i += 50) {
			if (printable(keys.get(i))) {
				removed.add(keys.get(i));
			}
		}
		source.binarySync().del(removed.toArray(byte[][]::new));
		removed.forEach((key) -> extra.add(new String(key, StandardCharsets.UTF_8)));
		// missing in the target, and keys outside --match: not extra
		byte[] missing = keys.stream()
			.filter((key) -> printable(key) && removed.stream().noneMatch((gone) -> java.util.Arrays.equals(gone, key)))
			.findFirst()
			.orElseThrow();
		this.cluster.binarySync().del(missing);
		this.cluster.sync().set("zzz:outside", "x");
		this.cluster.sync().set("other:outside", "x");
		assertThat(extra.stream().map((key) -> this.cluster.masterOf(key.getBytes(StandardCharsets.UTF_8)).id()))
			.as("masters holding extra keys")
			.containsAll(this.cluster.masters().stream().map(RedisCluster.Node::id).toList());

		CliRun run = verify(source, this.cluster.seedUri(), filter, "--extra", "--pass-pause", "10ms")
			.assertExitCode(ExitCode.DIFFERENT);

		Map<String, Object> summary = JsonDocument.object(run.out());
		assertThat(summary).containsEntry("extra", (long) extra.size())
			.containsEntry("missing", 1L)
			.containsEntry("differences", (long) extra.size() + 1);
		assertThat(differences(summary)).containsOnlyKeys(extra.toArray(String[]::new))
			.allSatisfy((key, detail) -> assertThat(detail).isEqualTo("target key; not in the source"));

		Map<String, Object> fixed = JsonDocument.object(verify(source, this.cluster.seedUri(), filter, "--extra",
				"--fix", "--delete-extra", "--pass-pause", "10ms")
			.assertExitCode(ExitCode.OK)
			.out());

		assertThat(fixed).containsEntry("deleted", (long) extra.size())
			.containsEntry("fixed", 1L)
			.containsEntry("extra", 0L)
			.containsEntry("differences", 0L);
		assertThat(this.cluster.sync().exists("zzz:outside", "other:outside")).isEqualTo(2);
		assertDifferOnly(Keyspace.of(source), Keyspace.of(this.cluster), (key) -> startsWith(key, "app:") ? key : null,
				"zzz:outside", "other:outside");
	}

	@Test
	void renamedTargetKeysAreLookedUpUnderTheirSourceNames(RedisServer source, RedisServer target) {
		String[] filter = { "--match", "old:*", "--rename-prefix", "old:=new:" };
		renamedKeys(source, target.uri(), filter, target.sync()::set, target.sync()::exists);
		assertThat(target.sync().keys("*")).containsExactlyInAnyOrder("new:a", "new:b", "other:q", "old:z");
		assertDifferOnly(Keyspace.of(source), Keyspace.of(target), renamed(filter[3]), "other:q", "old:z");
	}

	@Test
	void renamedKeysOfAClusterTargetAreLookedUpOnTheMastersOfTheirSourceNames(RedisServer source) {
		String[] filter = { "--match", "old:*", "--rename-prefix", "old:=new:" };
		renamedKeys(source, this.cluster.seedUri(), filter, this.cluster.sync()::set, this.cluster.sync()::exists);
		assertDifferOnly(Keyspace.of(source), Keyspace.of(this.cluster), renamed(filter[3]), "other:q", "old:z");
	}

	/**
	 * A cluster source: each target key is looked up, under every source name it can have
	 * been copied from, on the master serving that name's slot; keys deleted from several
	 * masters after the copy are extra, the copied ones are not.
	 */
	@Test
	void extraKeysOfAClusterSourceAreLookedUpOnTheMastersOfTheirSourceNames(RedisServer target) {
		String[] filter = { "--match", "old:*", "--rename-prefix", "old:=new:" };
		List<String> keys = new ArrayList<>();
		for (int i = 0; i < 60; i++) {
			keys.add("old:" + i);
			this.cluster.sync().set("old:" + i, "value " + i);
		}
		this.cluster.sync().set("other:q", "not copied");
		CliRun.copy(this.home, this.cluster.seedUri(), target.uri(), filter).assertExitCode(ExitCode.OK);
		assertThat(target.sync().dbsize()).isEqualTo(keys.size());
		// deleted from the source after the copy: one key of each master
		Map<String, String> deleted = new LinkedHashMap<>();
		for (String key : keys) {
			deleted.putIfAbsent(this.cluster.masterOf(key.getBytes(StandardCharsets.UTF_8)).id(), key);
		}
		assertThat(deleted).as("a deleted key on each master").hasSize(this.cluster.masters().size());
		deleted.values().forEach((key) -> this.cluster.sync().del(key));
		target.sync().set("new:stray", "only in the target");
		target.sync().set("other:q", "outside the filter");
		Set<String> extra = new HashSet<>(Set.of("new:stray"));
		deleted.values().forEach((key) -> extra.add("new:" + key.substring("old:".length())));

		CliRun run = verifyFrom(this.cluster.seedUri(), target.uri(), filter, "--extra", "--pass-pause", "10ms")
			.assertExitCode(ExitCode.DIFFERENT);

		Map<String, Object> summary = JsonDocument.object(run.out());
		assertThat(summary).containsEntry("checked", (long) keys.size() - deleted.size())
			.containsEntry("equal", (long) keys.size() - deleted.size())
			.containsEntry("extra", (long) extra.size())
			.containsEntry("differences", (long) extra.size());
		assertThat(differences(summary).keySet()).containsExactlyInAnyOrderElementsOf(extra);

		Map<String, Object> fixed = JsonDocument.object(verifyFrom(this.cluster.seedUri(), target.uri(), filter,
				"--extra", "--fix", "--delete-extra", "--pass-pause", "10ms")
			.assertExitCode(ExitCode.OK)
			.out());

		assertThat(fixed).containsEntry("deleted", (long) extra.size())
			.containsEntry("extra", 0L)
			.containsEntry("differences", 0L);
		assertThat(target.sync().exists(extra.toArray(String[]::new))).isZero();
		assertThat(target.sync().get("other:q")).isEqualTo("outside the filter");
		assertDifferOnly(Keyspace.of(this.cluster), Keyspace.of(target), renamed(filter[3]), "other:q");
	}

	/**
	 * A copy under a rename, then: {@code new:z} (no {@code old:z} in the source) is
	 * extra; {@code new:a} and {@code new:b} (copied) are not, nor {@code other:q} and
	 * {@code old:z} (no rule writes them: outside the filter's image); the fix deletes
	 * {@code new:z} only.
	 */
	private void renamedKeys(RedisServer source, String target, String[] filter, Setter set, Counter exists) {
		source.sync().set("old:a", "1");
		source.sync().hset("old:b", "f", "v");
		source.sync().set("other:q", "not copied");
		CliRun.copy(this.home, source.uri(), target, filter).assertExitCode(ExitCode.OK);
		assertThat(exists.count("new:a", "new:b")).isEqualTo(2);
		set.set("new:z", "only in the target");
		set.set("other:q", "outside the filter");
		set.set("old:z", "no rule writes old:");

		Map<String, Object> summary = JsonDocument
			.object(verify(source, target, filter, "--extra", "--pass-pause", "10ms").assertExitCode(ExitCode.DIFFERENT)
				.out());

		assertThat(summary).containsEntry("checked", 2L)
			.containsEntry("equal", 2L)
			.containsEntry("extra", 1L)
			.containsEntry("differences", 1L);
		// looked up under each name that can have become new:z: itself and old:z
		assertThat(differences(summary))
			.containsExactly(Map.entry("new:z", "target key; not in the source as \"new:z\" or \"old:z\""));

		Map<String, Object> fixed = JsonDocument
			.object(verify(source, target, filter, "--extra", "--fix", "--delete-extra", "--pass-pause", "10ms")
				.assertExitCode(ExitCode.OK)
				.out());

		assertThat(fixed).containsEntry("deleted", 1L).containsEntry("extra", 0L).containsEntry("differences", 0L);
		assertThat(exists.count("new:z")).isZero();
		assertThat(exists.count("new:a", "new:b", "other:q", "old:z")).isEqualTo(4);
	}

	/** The recorded extra keys of a verify execution: key to detail. */
	private Map<String, String> differences(Map<String, Object> summary) {
		return CliRun.differences(this.home, JsonDocument.number(summary, "executionId"))
			.stream()
			.filter((difference) -> "extra".equals(difference.get("kind")))
			.collect(Collectors.toMap((d) -> (String) d.get("key"), (d) -> (String) d.get("detail")));
	}

	private CliRun verify(RedisServer source, String target, String[] filter, String... options) {
		return verifyFrom(source.uri(), target, filter, options);
	}

	private CliRun verifyFrom(String source, String target, String[] filter, String... options) {
		List<String> args = new ArrayList<>(List.of("verify", "--home", this.home.toString(), "--source", source,
				"--target", target, "--json", "--progress", "off"));
		args.addAll(List.of(filter));
		args.addAll(List.of(options));
		return CliRun.execute(args.toArray(String[]::new));
	}

	/**
	 * Compares the source with the target (each source key under the target name
	 * {@code mapped} gives it, {@code null} for a key the run does not copy) and asserts
	 * that exactly the keys named differ.
	 */
	private static void assertDifferOnly(Keyspace source, Keyspace target,
			java.util.function.UnaryOperator<ByteBuffer> mapped, String... differing) {
		KeyspaceComparison comparison = KeyspaceComparison.compare(source, target,
				KeyspaceComparison.DEFAULT_TTL_TOLERANCE, mapped);
		assertThat(
				comparison.differences().stream().map((difference) -> KeyspaceComparison.printable(difference.key())))
			.as(comparison::report)
			.containsExactlyInAnyOrder(differing);
	}

	private static java.util.function.UnaryOperator<ByteBuffer> renamed(String rule) {
		PrefixRenames renames = PrefixRenames.parse(List.of(rule));
		return (key) -> startsWith(key, "old:") ? ByteBuffer.wrap(renames.targetKey(key.array())) : null;
	}

	private static boolean startsWith(ByteBuffer key, String prefix) {
		return new String(key.array(), StandardCharsets.ISO_8859_1).startsWith(prefix);
	}

	private static boolean printable(byte[] key) {
		for (byte b : key) {
			if (b < 0x20 || b >= 0x7f) {
				return false;
			}
		}
		return true;
	}

	@FunctionalInterface
	private interface Setter {

		void set(String key, String value);

	}

	@FunctionalInterface
	private interface Counter {

		long count(String... keys);

	}

}
