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
import io.keyferry.testsupport.TargetDamage;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
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
		TargetDamage damage = TargetDamage.apply(source, target);

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
		List<Map<String, Object>> shown = CliRun.differences(this.home, JsonDocument.number(summary, "executionId"));
		assertThat(shown).hasSize(45);
		Map<String, String> kinds = shown.stream()
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
	void fixCopiesAgainWhatDiffersAndKeepsExtraKeysWithoutDeleteExtra(RedisServer source, RedisServer target) {
		TestData.keys(400).loadInto(source);
		CliRun.copy(this.home, source.uri(), target.uri()).assertExitCode(ExitCode.OK);
		TargetDamage damage = TargetDamage.apply(source, target);

		CliRun run = verify(source, target, "--extra", "--fix", "--pass-pause", "10ms");

		run.assertExitCode(ExitCode.DIFFERENT);
		assertThat(summary(run)).containsEntry("status", "COMPLETED")
			.containsEntry("fix", true)
			.containsEntry("fixed", 35L)
			.containsEntry("deleted", 0L)
			.containsEntry("checked", 400L)
			.containsEntry("equal", 400L)
			.containsEntry("missing", 0L)
			.containsEntry("differentType", 0L)
			.containsEntry("differentValue", 0L)
			.containsEntry("differentTtl", 0L)
			.containsEntry("extra", 10L)
			.containsEntry("differences", 10L);
		assertThat(target.sync().exists(damage.extra().toArray(String[]::new))).isEqualTo(10L);
		damage.extra().forEach((key) -> target.sync().del(key));
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void fixIsRefusedBeforeAnythingIsWrittenWhenTheTargetUserMayNotRestore(RedisServer source, RedisServer target) {
		TestData.keys(50).loadInto(source);
		CliRun.copy(this.home, source.uri(), target.uri()).assertExitCode(ExitCode.OK);
		String changed = firstOfType(source, "*", "string");
		target.sync().append(changed, "-changed");
		target.sync()
			.dispatch(CommandType.ACL, new StatusOutput<>(StringCodec.UTF8),
					new CommandArgs<>(StringCodec.UTF8).add("SETUSER")
						.add("kf-verify")
						.add("on")
						.add(">pw")
						.add("~*")
						.add("+@all")
						.add("-restore"));
		String targetUri = "redis://kf-verify:pw@127.0.0.1:" + target.port();
		List<String> args = new ArrayList<>(List.of("verify", "--home", this.home.toString(), "--source", source.uri(),
				"--target", targetUri, "--json", "--progress", "off", "--pass-pause", "10ms"));

		CliRun verify = CliRun.execute(args.toArray(String[]::new)).assertExitCode(ExitCode.DIFFERENT);
		assertThat(summary(verify)).containsEntry("differentValue", 1L);
		args.add("--fix");
		CliRun fix = CliRun.execute(args.toArray(String[]::new)).assertExitCode(ExitCode.USAGE).assertJsonError();

		assertThat(fix.err()).contains("RESTORE").contains("+restore");
		assertThat(target.sync().get(changed)).endsWith("-changed");
		target.sync().del(changed);
		CliRun.copy(this.home, source.uri(), target.uri()).assertExitCode(ExitCode.OK);
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void badOptionsAreUsageErrors(RedisServer source, RedisServer target) {
		verify(source, target, "--passes", "0").assertExitCode(ExitCode.USAGE).assertJsonError();
		verify(source, target, "--extra", "--rename-prefix", "=b:").assertExitCode(ExitCode.USAGE).assertJsonError();
		verify(source, target, "--ttl-tolerance", "soon").assertExitCode(ExitCode.USAGE).assertJsonError();
	}

	@Test
	void deleteExtraWithoutFixAndExtraIsAUsageErrorAndDeletesNothing(RedisServer source, RedisServer target) {
		source.sync().set("k", "v");
		target.sync().set("stray", "only in the target");
		for (List<String> options : List.of(List.of("--delete-extra"), List.of("--delete-extra", "--fix"),
				List.of("--delete-extra", "--extra"))) {
			CliRun run = verify(source, target, options.toArray(String[]::new)).assertExitCode(ExitCode.USAGE)
				.assertJsonError();
			assertThat(run.err()).as("%s", options)
				.contains("error: --delete-extra needs --fix and --extra")
				.contains("hint: ");
		}
		assertThat(target.sync().keys("*")).containsExactly("stray");
		target.sync().del("stray");
		target.sync().set("k", "v");
		KeyspaceComparison.assertSameContent(source, target);
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

	private static void repair(RedisServer source, RedisServer target, TargetDamage damage) {
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
