package io.keyferry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.Databases;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyferryProcesses;
import io.keyferry.testsupport.Keyspace;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.keyferry.testsupport.RepositoryProbe;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar with {@code --all-databases}: every database of the source that holds
 * keys (here 0, 3 and 15, with TTLs and binary key names) ends in the same database of
 * the target, compared key by key; a run killed with SIGKILL resumes in one more
 * execution that reads fewer keys than the source holds, and copies a database that
 * received its first keys in between; without the option, the summary names the databases
 * left out; {@code verify --all-databases} and its fix, each killed once, resume and
 * report and repair the damage of each database. A database is compared by swapping it
 * with database 0 of both servers ({@code SWAPDB}, which keeps TTLs) while no copy runs,
 * the fixtures reading database 0. A source that restarts as the run lays out its
 * partitions from the source's databases is read again.
 */
@ExtendWith(RedisServerExtension.class)
class AllDatabasesJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);

	private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(60);

	/** 128 + 9: the process ended by SIGKILL before it could finish. */
	private static final int EXIT_SIGKILL = 137;

	private static final int EXIT_DIFFERENT = 4;

	private static final int[] DATABASES = { 0, 3, 15 };

	@TempDir
	Path home;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@Test
	void copiesEveryDatabaseWithKeysToTheSameDatabase(RedisServer source, RedisServer target) {
		Map<Integer, Long> sizes = load(source, 700);

		KeyferryProcess copy = this.processes.start(KeyferryProcess.in(this.home), "copy", "--source", source.uri(),
				"--target", target.uri(), "--all-databases", "--json", "--progress", "off");

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.written()).isEqualTo(total(sizes));
		assertThat(written(summary)).isEqualTo(sizes);
		assertThat(copy.stderr()).doesNotContain("does not copy");
		assertThat(Databases.of(target)).as("databases of the target").containsExactly("db0", "db3", "db15");
		Databases.assertSameDatabases(source, target, DATABASES);
	}

	@Test
	void sourceRestartedAsTheRunStartsIsReadAgain(@RedisServerOptions(persistence = true) RedisServer source,
			RedisServer target) {
		Map<Integer, Long> sizes = load(source, 700);
		Path release = this.home.resolve("release");

		// halted once the execution exists, before its partitions are laid out from the
		// source's databases (INFO keyspace)
		KeyferryProcess copy = this.processes.start(KeyferryProcess.in(this.home).haltAt("before-owner", release),
				"copy", "--source", source.uri(), "--target", target.uri(), "--all-databases", "--retries", "10",
				"--json", "--progress", "off");
		copy.awaitStderr(RUN_TIMEOUT, "keyferry: halted at before-owner");
		copy.restartWhileHeld(source, release, "lost a connection while reading the source's databases", RUN_TIMEOUT);

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		assertThat(copy.stderr()).contains("trying again (1 of 10)");
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(written(summary)).isEqualTo(sizes);
		Databases.assertSameDatabases(source, target, DATABASES);
	}

	@Test
	void resumesAfterSigkillAndCopiesADatabaseThatGotKeysMeanwhile(RedisServer source, RedisServer target) {
		Map<Integer, Long> sizes = load(source, 1500);
		long total = total(sizes);
		RepositoryProbe repository = new RepositoryProbe(this.home);
		String[] copy = { "copy", "--source", source.uri(), "--target", target.uri(), "--all-databases", "--json",
				"--chunk-size", "100", "--scan-count", "100", "--rate-limit", "1000", "--progress", "off" };

		KeyferryProcess killed = this.processes.start(KeyferryProcess.in(this.home), copy);
		repository.awaitCommittedChunks(killed, 5, PROGRESS_TIMEOUT);
		killed.kill();
		assertThat(killed.waitFor(RUN_TIMEOUT)).as(killed::describe).isEqualTo(EXIT_SIGKILL);
		long killedExecution = repository.latestExecutionId();
		assertThat(repository.stepStatuses(killedExecution)).containsKeys("copy-partition:db0.node0.range0",
				"copy-partition:db3.node0.range0", "copy-partition:db15.node0.range0");
		// a database that held no keys when the run began: the resumed execution copies
		// it too (nothing lost covers the keys present from the start to the end)
		Databases.inDatabase(7, () -> TestData.keys(200).seed(7).prefix("db7:").ttlFraction(0.3).loadInto(source),
				source);

		KeyferryProcess resumed = this.processes.start(KeyferryProcess.in(this.home), copy);

		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(0);
		assertThat(resumed.stderr()).contains("resuming run " + repository.runId(killedExecution));
		CopySummary summary = resumed.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.runId()).isEqualTo(repository.runId(killedExecution));
		assertThat(summary.read()).as("keys read by the resumed execution").isPositive().isLessThan(total + 200);
		assertThat(written(summary)).containsOnlyKeys(0, 3, 7, 15).containsEntry(7, 200L);
		Databases.assertSameDatabases(source, target, 0, 3, 7, 15);

		KeyferryProcess show = this.processes.start(KeyferryProcess.in(this.home), "show",
				Long.toString(summary.executionId()), "--json");
		assertThat(show.waitFor(RUN_TIMEOUT)).as(show::describe).isEqualTo(0);
		Map<String, Object> details = JsonDocument.object(show.stdout());
		assertThat((List<?>) details.get("databases")).as("per-database counts in show").hasSize(4);
		assertThat(JsonDocument.asObject(details.get("parameters"))).containsEntry("allDatabases", true);
		assertThat(show.stdout()).contains("copy-partition:db7.node0.range0");
	}

	/**
	 * {@code verify --all-databases} killed with SIGKILL in its first pass resumes it
	 * (each database's partitions from their checkpoints) and reports exactly the damage
	 * of databases 3 and 15, made under a name every database holds; its fix, killed
	 * after writing a page and before committing it, is finished by the same command.
	 */
	@Test
	void verifyAndItsFixKilledWithSigkillResumeInEveryDatabase(RedisServer source, RedisServer target) {
		long total = total(load(source, 1500)) + DATABASES.length;
		for (int database : DATABASES) {
			Databases.inDatabase(database, () -> source.sync().set("same", "v"), source);
		}
		KeyferryProcess copied = this.processes.start(KeyferryProcess.in(this.home), "copy", "--source", source.uri(),
				"--target", target.uri(), "--all-databases", "--json", "--progress", "off");
		assertThat(copied.waitFor(RUN_TIMEOUT)).as(copied::describe).isEqualTo(0);
		Databases.inDatabase(3, () -> target.sync().del("same"), target);
		Databases.inDatabase(15, () -> {
			target.sync().append("same", "-changed");
			target.sync().set("extra:15", "x");
		}, target);
		RepositoryProbe repository = new RepositoryProbe(this.home);
		String[] verify = { "verify", "--source", source.uri(), "--target", target.uri(), "--all-databases", "--extra",
				"--pass-pause", "10ms", "--json", "--progress", "off" };
		List<String> slow = new java.util.ArrayList<>(List.of(verify));
		slow.addAll(List.of("--chunk-size", "100", "--scan-count", "100", "--rate-limit", "1000"));

		KeyferryProcess killed = this.processes.start(KeyferryProcess.in(this.home), slow.toArray(String[]::new));
		repository.awaitCommittedChunks(killed, 5, PROGRESS_TIMEOUT);
		killed.kill();
		assertThat(killed.waitFor(RUN_TIMEOUT)).as(killed::describe).isEqualTo(EXIT_SIGKILL);
		KeyferryProcess resumed = this.processes.start(KeyferryProcess.in(this.home), slow.toArray(String[]::new));

		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(EXIT_DIFFERENT);
		assertThat(resumed.stderr()).contains("resuming run");
		Map<String, Object> found = JsonDocument.object(resumed.stdout());
		assertThat(JsonDocument.number(found, "executionChecked")).as("keys the resumed execution checked")
			.isPositive()
			.isLessThan(total);
		assertThat(found).containsEntry("status", "COMPLETED")
			.containsEntry("run", 1L)
			.containsEntry("checked", total)
			.containsEntry("missing", 1L)
			.containsEntry("differentValue", 1L)
			.containsEntry("differentTtl", 0L)
			.containsEntry("extra", 1L)
			.containsEntry("differences", 3L);

		List<String> fix = new java.util.ArrayList<>(List.of(verify));
		fix.addAll(List.of("--fix", "--delete-extra"));
		KeyferryProcess killedFix = this.processes
			.start(KeyferryProcess.in(this.home).env("KEYFERRY_TEST_HALT_AT", "fix-page"), fix.toArray(String[]::new));
		killedFix.awaitStderr(RUN_TIMEOUT, "keyferry: halted at fix-page");
		killedFix.kill();
		KeyferryProcess fixed = this.processes.start(KeyferryProcess.in(this.home), fix.toArray(String[]::new));

		assertThat(fixed.waitFor(RUN_TIMEOUT)).as(fixed::describe).isEqualTo(0);
		assertThat(JsonDocument.object(fixed.stdout())).containsEntry("status", "COMPLETED")
			.containsEntry("run", 1L)
			.containsEntry("fixed", 2L)
			.containsEntry("differences", 0L);
		assertThat(Databases.of(target)).as("databases of the target").containsExactly("db0", "db3", "db15");
		Databases.assertSameDatabases(source, target, DATABASES);
	}

	@Test
	void withoutTheOptionTheSummaryNamesTheDatabasesLeftOut(RedisServer source, RedisServer target) {
		Map<Integer, Long> sizes = load(source, 300);

		KeyferryProcess json = this.processes.start(KeyferryProcess.in(this.home), "copy", "--source", source.uri(),
				"--target", target.uri(), "--json", "--progress", "off");
		assertThat(json.waitFor(RUN_TIMEOUT)).as(json::describe).isEqualTo(0);
		assertThat(json.summary().written()).isEqualTo(sizes.get(0));
		assertThat(json.summary().field("otherDatabases")).isEqualTo(Map.of("3", sizes.get(3), "15", sizes.get(15)));
		assertThat(json.stderr()).contains("the source has keys in databases that this run does not copy: db3 ("
				+ sizes.get(3) + " keys), db15 (" + sizes.get(15) + " keys); copy them with --all-databases");

		KeyferryProcess text = this.processes.start(KeyferryProcess.in(this.home), "copy", "--source", source.uri(),
				"--target", target.uri(), "--progress", "off");
		assertThat(text.waitFor(RUN_TIMEOUT)).as(text::describe).isEqualTo(0);
		assertThat(text.stdout()).contains("not copied: other databases of the source hold keys: db3 (" + sizes.get(3)
				+ " keys), db15 (" + sizes.get(15) + " keys) (--all-databases copies them)");
		assertThat(Databases.of(target)).as("databases of the target").containsExactly("db0");
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void worksWithAConfigFileFilterRenamesAndConflictPolicy(RedisServer source, RedisServer target) throws IOException {
		load(source, 600);
		// a key the target already has, under its new name, in database 3: kept under
		// skip
		String existing = "hash:7";
		Databases.inDatabase(3, () -> target.sync().hset("new:db3:" + existing, "field", "target's own"), target);
		Path config = this.home.resolve("copy.yaml");
		Files.writeString(config,
				String.join("\n", "source: " + source.uri(), "target: " + target.uri(), "all-databases: true",
						"match: 'db*:hash:*'", "type: hash", "rename-prefix: ['db3:=new:db3:']", "on-conflict: skip",
						""));

		KeyferryProcess copy = this.processes.start(KeyferryProcess.in(this.home), "copy", "--config",
				config.toString(), "--json", "--progress", "off");

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.skipped()).containsEntry("exists", 1L);
		UnaryOperator<ByteBuffer> hashesRenamed = (key) -> {
			String name = new String(key.array(), java.nio.charset.StandardCharsets.ISO_8859_1);
			if (!name.matches("(?s)db\\d+:hash:.*") || name.equals("db3:" + existing)) {
				return null;
			}
			return ByteBuffer
				.wrap(name.replaceFirst("^db3:", "new:db3:").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
		};
		for (int database : DATABASES) {
			Databases.inDatabase(database, () -> {
				KeyspaceComparison comparison = KeyspaceComparison.compare(Keyspace.of(source), Keyspace.of(target),
						KeyspaceComparison.LOOSE_TTL_TOLERANCE, hashesRenamed);
				assertThat(comparison.targetKeys()).as("keys of database %d", database).isPositive();
				if (database != 3) {
					assertThat(comparison.isSame()).as("database %d: %s", database, comparison.report()).isTrue();
					return;
				}
				// the target's own key, which no source key replaced
				assertThat(comparison.differences()).as(comparison::report)
					.singleElement()
					.satisfies((difference) -> assertThat(difference.printableKey()).isEqualTo("new:db3:" + existing))
					.satisfies(
							(difference) -> assertThat(difference.status()).isEqualTo(KeyspaceComparison.Status.EXTRA));
				assertThat(target.sync().hget("new:db3:" + existing, "field")).isEqualTo("target's own");
			}, source, target);
		}
	}

	/**
	 * Loads keys of every type, a third with a TTL, the first three with binary names,
	 * into databases 0, 3 and 15, each with names and values of its own.
	 * @return the keys of each database
	 */
	private static Map<Integer, Long> load(RedisServer source, int keys) {
		Map<Integer, Long> sizes = new LinkedHashMap<>();
		for (int database : DATABASES) {
			int count = keys + database * 10;
			Databases.inDatabase(database,
					() -> TestData.keys(count)
						.seed(database)
						.prefix("db" + database + ":")
						.ttlFraction(0.3)
						.loadInto(source),
					source);
			sizes.put(database, (long) count);
		}
		return sizes;
	}

	private static long total(Map<Integer, Long> sizes) {
		return sizes.values().stream().mapToLong(Long::longValue).sum();
	}

	/** The keys written per database, from the summary's {@code databases}. */
	private static Map<Integer, Long> written(CopySummary summary) {
		Map<Integer, Long> written = new LinkedHashMap<>();
		for (Object entry : (List<?>) summary.field("databases")) {
			Map<String, Object> database = JsonDocument.asObject(entry);
			written.put((int) JsonDocument.number(database, "database"), JsonDocument.number(database, "written"));
		}
		return written;
	}

}
