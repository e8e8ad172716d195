package io.keyferry.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.keyferry.testsupport.Databases;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code keyferry verify --all-databases} against real servers: a source with keys in
 * databases 0, 2 and 5, a target damaged in databases 2 and 5 (missing keys, changed
 * values, changed TTLs, extra keys), gives exactly the damage's counts, each difference
 * recorded with its database; keys of database 5 whose names database 0 holds equal on
 * both sides are still reported (a later pass, the fix or {@code --extra} comparing in
 * another database than the key's would drop them); {@code --fix --extra --delete-extra}
 * repairs every database; a config file turns it on; and URIs that name a database, or a
 * target without the source's databases, are usage errors.
 */
@ExtendWith(RedisServerExtension.class)
class VerifyAllDatabasesIntegrationTests {

	@TempDir
	Path home;

	@Test
	void damageInSeveralDatabasesIsReportedAndFixedInEachDatabase(RedisServer source, RedisServer target) {
		load(source);
		CliRun.copy(this.home, source.uri(), target.uri(), "--all-databases").assertExitCode(ExitCode.OK);
		Databases.assertSameDatabases(source, target, 0, 2, 5);
		damage(target);

		CliRun run = verify(source, target, "--extra", "--pass-pause", "10ms");

		run.assertExitCode(ExitCode.DIFFERENT);
		Map<String, Object> summary = summary(run);
		assertThat(summary).containsEntry("status", "COMPLETED")
			.containsEntry("checked", 194L)
			.containsEntry("equal", 184L)
			.containsEntry("missing", 4L)
			.containsEntry("differentValue", 4L)
			.containsEntry("differentTtl", 2L)
			.containsEntry("differentType", 0L)
			.containsEntry("extra", 3L)
			.containsEntry("differences", 13L)
			.containsEntry("exitCode", (long) ExitCode.DIFFERENT);
		String execution = String.valueOf(JsonDocument.number(summary, "executionId"));
		Map<String, Object> shown = JsonDocument
			.object(CliRun.execute("show", "--home", this.home.toString(), "--json", "--differences", "all", execution)
				.assertExitCode(ExitCode.OK)
				.out());
		assertThat(shown).containsEntry("differenceCount", 13L);
		Map<String, String> kinds = ((List<?>) shown.get("differenceKeys")).stream()
			.map(JsonDocument::asObject)
			.collect(Collectors.toMap((d) -> JsonDocument.number(d, "database") + " " + d.get("key"),
					(d) -> (String) d.get("kind")));
		assertThat(kinds).isEqualTo(Map.ofEntries(Map.entry("2 str:1", "missing"), Map.entry("2 str:2", "missing"),
				Map.entry("2 str:3", "missing"), Map.entry("2 str:4", "differentValue"),
				Map.entry("2 str:5", "differentValue"), Map.entry("2 str:6", "differentTtl"),
				Map.entry("2 extra:1", "extra"), Map.entry("2 extra:2", "extra"),
				Map.entry("5 shared:value", "differentValue"), Map.entry("5 str:4", "differentValue"),
				Map.entry("5 shared:missing", "missing"), Map.entry("5 shared:ttl", "differentTtl"),
				Map.entry("5 shared:extra", "extra")));
		String text = CliRun.execute("show", "--home", this.home.toString(), "--differences", "all", execution)
			.assertExitCode(ExitCode.OK)
			.out();
		assertThat(text).contains("  db 5  different-value  \"shared:value\"").contains("  db 2  extra  \"extra:1\"");

		Map<String, Object> fixed = summary(
				verify(source, target, "--extra", "--fix", "--delete-extra", "--pass-pause", "10ms")
					.assertExitCode(ExitCode.OK));
		assertThat(fixed).containsEntry("status", "COMPLETED")
			.containsEntry("fixed", 10L)
			.containsEntry("deleted", 3L)
			.containsEntry("checked", 194L)
			.containsEntry("equal", 194L)
			.containsEntry("differences", 0L);
		assertThat(Databases.of(target)).as("databases of the target").containsExactly("db0", "db2", "db5");
		Databases.assertSameDatabases(source, target, 0, 2, 5);
		assertThat(summary(verify(source, target, "--extra").assertExitCode(ExitCode.OK))).containsEntry("checked",
				194L);
	}

	/**
	 * A source without keys in any database: the scan has no partition (the copy's job
	 * runs one that finds nothing), so the verify compares nothing, and with
	 * {@code --extra} finds what the target holds in every database; deleting all of it
	 * with {@code --delete-extra} is refused.
	 */
	@Test
	void anEmptySourceIsVerifiedAndTheTargetsKeysAreExtra(RedisServer source, RedisServer target) {
		CliRun.copy(this.home, source.uri(), target.uri(), "--all-databases", "--verify").assertExitCode(ExitCode.OK);
		Map<String, Object> empty = summary(verify(source, target));
		assertThat(empty).containsEntry("status", "COMPLETED")
			.containsEntry("checked", 0L)
			.containsEntry("differences", 0L)
			.containsEntry("exitCode", (long) ExitCode.OK);
		target.sync().set("extra:0", "x");
		Databases.inDatabase(3, () -> target.sync().set("extra:3", "x"), target);

		CliRun run = verify(source, target, "--extra", "--pass-pause", "10ms");

		run.assertExitCode(ExitCode.DIFFERENT);
		assertThat(summary(run)).containsEntry("checked", 0L)
			.containsEntry("extra", 2L)
			.containsEntry("differences", 2L);
		// deleting them all would mirror an empty source: refused, nothing deleted
		CliRun refused = verify(source, target, "--extra", "--fix", "--delete-extra", "--pass-pause", "10ms")
			.assertExitCode(ExitCode.FAILED);
		assertThat(refused.err()).contains("holds no keys: --delete-extra would delete every key of the filter");
		assertThat(target.sync().exists("extra:0")).isOne();
		Databases.inDatabase(3, () -> assertThat(target.sync().exists("extra:3")).isOne(), target);
	}

	@Test
	void aConfigFileTurnsItOnAndWithoutItOnlyTheUrisDatabaseIsCompared(RedisServer source, RedisServer target)
			throws IOException {
		TestData.keys(40).loadInto(source);
		Databases.inDatabase(4, () -> TestData.keys(30).seed(4).prefix("db4:").loadInto(source), source);
		CliRun.copy(this.home, source.uri(), target.uri(), "--all-databases").assertExitCode(ExitCode.OK);
		Databases.inDatabase(4, () -> target.sync().set("db4:extra", "x"), target);
		Path config = Files.writeString(this.home.resolve("verify.yml"), String.join("\n", "source: " + source.uri(),
				"target: " + target.uri(), "all-databases: true", "extra: true", "pass-pause: 10ms", ""));

		Map<String, Object> all = summary(CliRun
			.execute("verify", "--home", this.home.toString(), "--config", config.toString(), "--json", "--progress",
					"off")
			.assertExitCode(ExitCode.DIFFERENT));
		assertThat(all).containsEntry("allDatabases", true)
			.containsEntry("checked", 70L)
			.containsEntry("extra", 1L)
			.containsEntry("differences", 1L);
		Map<String, Object> first = summary(CliRun
			.execute("verify", "--home", this.home.toString(), "--source", source.uri(), "--target", target.uri(),
					"--extra", "--json", "--progress", "off")
			.assertExitCode(ExitCode.OK));
		assertThat(first).containsEntry("allDatabases", false).containsEntry("checked", 40L);
		Databases.inDatabase(4, () -> target.sync().del("db4:extra"), target);
		Databases.assertSameDatabases(source, target, 0, 4);
	}

	@Test
	void uriWithADatabaseIsAUsageError(RedisServer source, RedisServer target) {
		source.sync().set("k", "v");
		CliRun run = CliRun
			.execute("verify", "--home", this.home.toString(), "--source", source.uri() + "/2", "--target",
					target.uri(), "--all-databases", "--json", "--progress", "off")
			.assertExitCode(ExitCode.USAGE)
			.assertJsonError();

		assertThat(run.errorLine()).isEqualTo(
				"error: --all-databases verifies every database, and --source names one (" + source.uri() + "/2)");
		assertThat(run.hintLine()).contains("leave out --all-databases to verify that database alone");
		assertThat(this.home.resolve("repository")).doesNotExist();
	}

	@Test
	void aTargetWithFewerDatabasesThanTheSourceUsesIsRefusedBeforeTheRun(RedisServer source,
			@RedisServerOptions(args = { "--databases", "4" }) RedisServer target) {
		source.sync().set("k", "v");
		Databases.inDatabase(9, () -> source.sync().set("k9", "v"), source);

		CliRun run = verify(source, target).assertExitCode(ExitCode.USAGE).assertJsonError();

		assertThat(run.errorLine()).isEqualTo(
				"error: the source has keys in database 9, which the target " + target.uri() + "/0 does not have");
		assertThat(new JobRepositoryDatabase(this.home).count("SELECT COUNT(*) FROM BATCH_JOB_EXECUTION"))
			.as("executions recorded")
			.isZero();
	}

	/**
	 * Source: 60 keys of mixed types in each of databases 0, 2 and 5; six persistent
	 * strings {@code str:1..6} in database 2; {@code shared:value},
	 * {@code shared:missing} and {@code shared:ttl} in databases 0 and 5,
	 * {@code shared:extra} in database 0 only; {@code str:4} in database 5 too. 194 keys.
	 */
	private static void load(RedisServer source) {
		for (int database : new int[] { 0, 2, 5 }) {
			Databases.inDatabase(database,
					() -> TestData.keys(60).seed(database).prefix("db" + database + ":").loadInto(source), source);
		}
		Databases.inDatabase(2, () -> {
			for (int i = 1; i <= 6; i++) {
				source.sync().set("str:" + i, "value " + i);
			}
		}, source);
		for (int database : new int[] { 0, 5 }) {
			Databases.inDatabase(database, () -> {
				source.sync().set("shared:value", "v");
				source.sync().set("shared:missing", "m");
				source.sync().set("shared:ttl", "t");
			}, source);
		}
		Databases.inDatabase(5, () -> source.sync().set("str:4", "value 4 of database 5"), source);
		source.sync().set("shared:extra", "e");
	}

	/**
	 * Database 2: 3 keys deleted, 2 values changed, 1 TTL added, 2 extra keys. Database
	 * 5: one of each kind, each under a name that database 0 holds, equal, on both sides
	 * ({@code shared:extra} is extra in database 5 only), and {@code str:4} changed as in
	 * database 2 (one name that differs in two databases: two differences).
	 */
	private static void damage(RedisServer target) {
		Databases.inDatabase(2, () -> {
			target.sync().del("str:1", "str:2", "str:3");
			target.sync().append("str:4", "-changed");
			target.sync().append("str:5", "-changed");
			target.sync().expire("str:6", 3600);
			target.sync().set("extra:1", "x");
			target.sync().set("extra:2", "x");
		}, target);
		Databases.inDatabase(5, () -> {
			target.sync().append("shared:value", "-changed");
			target.sync().del("shared:missing");
			target.sync().expire("shared:ttl", 3600);
			target.sync().set("shared:extra", "e");
			target.sync().append("str:4", "-changed");
		}, target);
	}

	private CliRun verify(RedisServer source, RedisServer target, String... options) {
		List<String> args = new ArrayList<>(List.of("verify", "--home", this.home.toString(), "--source", source.uri(),
				"--target", target.uri(), "--all-databases", "--json", "--progress", "off"));
		args.addAll(List.of(options));
		return CliRun.execute(args.toArray(String[]::new));
	}

	private static Map<String, Object> summary(CliRun run) {
		assertThat(run.out().strip().lines()).as("stdout of %s", run).singleElement();
		return JsonDocument.object(run.out());
	}

}
