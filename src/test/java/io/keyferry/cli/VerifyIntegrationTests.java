package io.keyferry.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests of {@code keyferry verify} against real servers: a copied target is
 * found equal (hash tables and sets whose DUMP payloads differ between the processes
 * included), a target damaged on purpose gives exactly the damage's counts, each
 * difference recorded and listed by {@code show}, the filter decides what is compared,
 * expiries are compared within the tolerance, and bad options are usage errors.
 */
@ExtendWith(RedisServerExtension.class)
class VerifyIntegrationTests {

	@TempDir
	Path home;

	@Test
	void copiedTargetIsEqualEvenWhereDumpPayloadsDiffer(RedisServer source, RedisServer target) {
		List<byte[]> keys = TestData.keys(600).loadInto(source);
		CliRun.copy(this.home, source.uri(), target.uri()).assertExitCode(ExitCode.OK);
		// every 50th key is a large collection: hash tables and sets serialize in their
		// process's hash order
		long payloadsDiffering = keys.stream()
			.filter((key) -> !Arrays.equals(source.binarySync().dump(key), target.binarySync().dump(key)))
			.count();
		assertThat(payloadsDiffering).as("keys whose DUMP payloads differ between the servers").isPositive();

		Map<String, Object> summary = summary(verify(source, target, "--extra").assertExitCode(ExitCode.OK));

		assertThat(summary).containsEntry("status", "COMPLETED")
			.containsEntry("job", "verify")
			.containsEntry("checked", 600L)
			.containsEntry("equal", 600L)
			.containsEntry("missing", 0L)
			.containsEntry("differentType", 0L)
			.containsEntry("differentValue", 0L)
			.containsEntry("differentTtl", 0L)
			.containsEntry("extra", 0L);
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void damagedTargetGivesExactlyTheDamagesCounts(RedisServer source, RedisServer target) {
		TestData.keys(500).loadInto(source);
		CliRun.copy(this.home, source.uri(), target.uri()).assertExitCode(ExitCode.OK);
		Damage damage = damage(source, target);

		CliRun run = verify(source, target, "--extra", "--pass-pause", "10ms");

		run.assertExitCode(ExitCode.DIFFERENT);
		Map<String, Object> summary = summary(run);
		assertThat(summary).containsEntry("status", "COMPLETED")
			.containsEntry("checked", 500L)
			.containsEntry("equal", 465L)
			.containsEntry("missing", 10L)
			.containsEntry("differentValue", 10L)
			.containsEntry("differentTtl", 10L)
			.containsEntry("differentType", 5L)
			.containsEntry("extra", 10L)
			.containsEntry("differences", 45L)
			.containsEntry("exitCode", (long) ExitCode.DIFFERENT);
		Map<String, Object> shown = JsonDocument.object(
				CliRun
					.execute("show", "--home", this.home.toString(), "--json", "--differences", "all",
							String.valueOf(JsonDocument.number(summary, "executionId")))
					.assertExitCode(ExitCode.OK)
					.out());
		assertThat(shown).containsEntry("differenceCount", 45L);
		Map<String, String> kinds = ((List<?>) shown.get("differenceKeys")).stream()
			.map(JsonDocument::asObject)
			.collect(Collectors.toMap((d) -> (String) d.get("key"), (d) -> (String) d.get("kind")));
		assertThat(kinds).isEqualTo(damage.expectedKinds());

		// repaired, the target is equal again
		repair(source, target, damage);
		verify(source, target, "--extra").assertExitCode(ExitCode.OK);
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void onlyKeysOfTheFilterAreComparedAndExtra(RedisServer source, RedisServer target) {
		TestData.keys(100).prefix("a:").loadInto(source);
		TestData.keys(100).prefix("b:").seed(3).loadInto(source);
		CliRun.copy(this.home, source.uri(), target.uri()).assertExitCode(ExitCode.OK);
		target.sync().set("b:extra", "x");
		target.sync().set("a:extra", "x");
		target.sync().append(firstOfType(source, "b:*", "string"), "changed");

		Map<String, Object> summary = summary(
				verify(source, target, "--match", "a:*", "--extra").assertExitCode(ExitCode.DIFFERENT));
		assertThat(summary).containsEntry("checked", 100L).containsEntry("extra", 1L).containsEntry("differences", 1L);

		Map<String, Object> strings = summary(
				verify(source, target, "--match", "a:*", "--type", "string").assertExitCode(ExitCode.OK));
		assertThat(JsonDocument.number(strings, "checked")).isEqualTo(source.binarySync()
			.keys("a:*")
			.stream()
			.filter((key) -> "string".equals(source.binarySync().type(key)))
			.count());
		target.sync().del("b:extra", "a:extra");
		target.sync().del(firstOfType(source, "b:*", "string"));
		CliRun.copy(this.home, source.uri(), target.uri()).assertExitCode(ExitCode.OK);
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void expiriesAreComparedWithinTheTolerance(RedisServer source, RedisServer target) {
		long at = System.currentTimeMillis() + 3_600_000;
		source.sync().set("k", "v");
		source.sync().pexpireat("k", at);
		target.sync().set("k", "v");
		target.sync().pexpireat("k", at + 50);

		summary(verify(source, target).assertExitCode(ExitCode.OK));
		Map<String, Object> strict = summary(verify(source, target, "--ttl-tolerance", "10ms", "--pass-pause", "0s")
			.assertExitCode(ExitCode.DIFFERENT));
		assertThat(strict).containsEntry("differentTtl", 1L).containsEntry("differences", 1L);

		target.sync().pexpireat("k", at);
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void badOptionsAreUsageErrors(RedisServer source, RedisServer target) {
		verify(source, target, "--passes", "0").assertExitCode(ExitCode.USAGE).assertJsonError();
		verify(source, target, "--extra", "--rename-prefix", "a:=b:").assertExitCode(ExitCode.USAGE).assertJsonError();
		verify(source, target, "--ttl-tolerance", "soon").assertExitCode(ExitCode.USAGE).assertJsonError();
	}

	private CliRun verify(RedisServer source, RedisServer target, String... options) {
		List<String> args = new ArrayList<>(List.of("verify", "--home", this.home.toString(), "--source", source.uri(),
				"--target", target.uri(), "--json", "--progress", "off"));
		args.addAll(List.of(options));
		return CliRun.execute(args.toArray(String[]::new));
	}

	private static Map<String, Object> summary(CliRun run) {
		assertThat(run.out().strip().lines()).as("stdout of %s", run).singleElement();
		return JsonDocument.object(run.out());
	}

	private static String firstOfType(RedisServer server, String pattern, String type) {
		return server.sync()
			.keys(pattern)
			.stream()
			.sorted()
			.filter((key) -> key.chars().allMatch((c) -> c >= 0x20 && c < 0x7f))
			.filter((key) -> type.equals(server.sync().type(key)))
			.findFirst()
			.orElseThrow();
	}

	/**
	 * What {@link #damage} did, by key.
	 */
	record Damage(List<String> missing, List<String> values, List<String> ttls, List<String> types,
			List<String> extra) {

		Map<String, String> expectedKinds() {
			Map<String, String> kinds = new java.util.HashMap<>();
			this.missing.forEach((key) -> kinds.put(key, "missing"));
			this.values.forEach((key) -> kinds.put(key, "differentValue"));
			this.ttls.forEach((key) -> kinds.put(key, "differentTtl"));
			this.types.forEach((key) -> kinds.put(key, "differentType"));
			this.extra.forEach((key) -> kinds.put(key, "extra"));
			return kinds;
		}

	}

	/**
	 * Damages the target: 10 keys deleted, 10 strings appended to (TTL kept), 10
	 * persistent keys given a TTL, 5 non-strings replaced by strings, 10 keys added.
	 */
	private static Damage damage(RedisServer source, RedisServer target) {
		// printable names only: the String codec would mangle the binary ones
		List<String> keys = source.sync()
			.keys("*")
			.stream()
			.filter((key) -> key.chars().allMatch((c) -> c >= 0x20 && c < 0x7f))
			.sorted()
			.toList();
		List<String> strings = new ArrayList<>();
		List<String> persistent = new ArrayList<>();
		List<String> collections = new ArrayList<>();
		List<String> others = new ArrayList<>();
		for (String key : keys) {
			String type = source.sync().type(key);
			boolean volatileKey = source.sync().pttl(key) >= 0;
			if ("string".equals(type) && strings.size() < 10) {
				strings.add(key);
			}
			else if (!volatileKey && persistent.size() < 10) {
				persistent.add(key);
			}
			else if (!"string".equals(type) && collections.size() < 5) {
				collections.add(key);
			}
			else if (others.size() < 10) {
				others.add(key);
			}
		}
		for (String key : others) {
			target.sync().del(key);
		}
		for (String key : strings) {
			target.sync().append(key, "-changed");
		}
		for (String key : persistent) {
			target.sync().pexpire(key, 7_200_000);
		}
		for (String key : collections) {
			long pttl = target.sync().pttl(key);
			target.sync().del(key);
			target.sync().set(key, "now a string");
			if (pttl > 0) {
				target.sync().pexpire(key, pttl);
			}
		}
		List<String> extra = new ArrayList<>();
		for (int i = 0; i < 10; i++) {
			extra.add("extra:" + i);
			target.sync().set("extra:" + i, "only in the target");
		}
		assertThat(others).hasSize(10);
		return new Damage(others, strings, persistent, collections, extra);
	}

	private static void repair(RedisServer source, RedisServer target, Damage damage) {
		List<String> all = new ArrayList<>();
		all.addAll(damage.missing());
		all.addAll(damage.values());
		all.addAll(damage.ttls());
		all.addAll(damage.types());
		for (String key : all) {
			byte[] name = key.getBytes(StandardCharsets.UTF_8);
			byte[] payload = source.binarySync().dump(name);
			long pttl = source.binarySync().pttl(name);
			target.binarySync().del(name);
			target.binarySync().restore(name, (pttl > 0) ? pttl : 0, payload);
		}
		damage.extra().forEach((key) -> target.sync().del(key));
	}

}
