package io.keyferry.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import io.keyferry.testsupport.Databases;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.PostgresDatabase;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TargetDamage;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A job repository made by a version before {@code verify --all-databases}, whose table
 * of differences has no database column ({@code REDIS_DB}), here made by dropping the
 * column after a verify run recorded its differences: the next start adds the column, on
 * H2 and on PostgreSQL; the old run's differences are still listed by {@code show}, and
 * new verify runs, of one database or of every database, record theirs.
 */
@ExtendWith(RedisServerExtension.class)
class DifferencesUpgradeIntegrationTests {

	private static final String DROP_COLUMN = "ALTER TABLE KEYFERRY_VERIFY_DIFFERENCE DROP COLUMN REDIS_DB";

	@TempDir
	Path home;

	@Test
	void anH2RepositoryOfTheVersionBeforeIsUpgraded(RedisServer source, RedisServer target) {
		JobRepositoryDatabase database = new JobRepositoryDatabase(this.home);
		keepsWorkingAfterUpgrade(source, target, List.of(), database::execute,
				() -> database.count("SELECT COUNT(*) FROM INFORMATION_SCHEMA.COLUMNS"
						+ " WHERE TABLE_NAME = 'KEYFERRY_VERIFY_DIFFERENCE' AND COLUMN_NAME = 'REDIS_DB'"));
	}

	@Test
	void aPostgresRepositoryOfTheVersionBeforeIsUpgraded(RedisServer source, RedisServer target) throws IOException {
		try (PostgresDatabase postgres = new PostgresDatabase().create()) {
			Path passwordFile = this.home.resolve("repository.password");
			Files.createDirectories(this.home);
			Files.writeString(passwordFile, postgres.password() + "\n");
			keepsWorkingAfterUpgrade(source, target,
					List.of("--repository-url", postgres.url(), "--repository-user", postgres.user(),
							"--repository-password-file", passwordFile.toString()),
					(sql) -> postgres.update(sql),
					() -> postgres.queryLong("SELECT COUNT(*) FROM information_schema.columns"
							+ " WHERE table_name = 'keyferry_verify_difference' AND column_name = 'redis_db'"));
		}
	}

	private void keepsWorkingAfterUpgrade(RedisServer source, RedisServer target, List<String> repository,
			Consumer<String> sql, java.util.function.LongSupplier columns) {
		TestData.keys(300).loadInto(source);
		run(repository, "copy", source, target).assertExitCode(ExitCode.OK);
		TargetDamage damage = TargetDamage.apply(source, target);
		Map<String, Object> old = summary(run(repository, "verify", source, target, "--extra", "--pass-pause", "10ms")
			.assertExitCode(ExitCode.DIFFERENT));
		assertThat(old).containsEntry("differences", 45L);
		sql.accept(DROP_COLUMN);
		assertThat(columns.getAsLong()).as("the database column, dropped").isZero();

		// the old run's differences, read through the upgraded table
		Map<String, Object> shown = JsonDocument.object(run(repository, "show", null, null, "--json", "--differences",
				"all", String.valueOf(JsonDocument.number(old, "executionId")))
			.assertExitCode(ExitCode.OK)
			.out());
		assertThat(columns.getAsLong()).as("the database column, added again").isOne();
		assertThat(shown).containsEntry("differenceCount", 45L);
		List<Map<String, Object>> rows = ((List<?>) shown.get("differenceKeys")).stream()
			.map(JsonDocument::asObject)
			.toList();
		assertThat(rows).allSatisfy((row) -> assertThat(row).doesNotContainKey("database"));
		assertThat(rows.stream().collect(Collectors.toMap((d) -> (String) d.get("key"), (d) -> (String) d.get("kind"))))
			.isEqualTo(damage.expectedKinds());

		// new runs record theirs: the next run of the same verify, and one of every
		// database
		assertThat(summary(run(repository, "verify", source, target, "--extra", "--pass-pause", "10ms")
			.assertExitCode(ExitCode.DIFFERENT))).containsEntry("run", 2L).containsEntry("differences", 45L);
		Map<String, Object> all = summary(
				run(repository, "verify", source, target, "--extra", "--all-databases", "--pass-pause", "10ms")
					.assertExitCode(ExitCode.DIFFERENT));
		assertThat(all).containsEntry("differences", 45L);
		Map<String, Object> allShown = JsonDocument
			.object(run(repository, "show", null, null, "--json", "--differences", "all",
					String.valueOf(JsonDocument.number(all, "executionId")))
				.assertExitCode(ExitCode.OK)
				.out());
		assertThat(((List<?>) allShown.get("differenceKeys")).stream().map(JsonDocument::asObject))
			.allSatisfy((row) -> assertThat(row).containsEntry("database", 0L));

		// fixed, the target is the source again
		run(repository, "verify", source, target, "--extra", "--fix", "--delete-extra", "--pass-pause", "10ms")
			.assertExitCode(ExitCode.OK);
		Databases.assertSameDatabases(source, target, 0);
	}

	private CliRun run(List<String> repository, String command, RedisServer source, RedisServer target,
			String... options) {
		List<String> args = new ArrayList<>(List.of(command, "--home", this.home.toString()));
		args.addAll(repository);
		if (source != null) {
			args.addAll(List.of("--source", source.uri(), "--target", target.uri(), "--progress", "off", "--json"));
		}
		args.addAll(Arrays.asList(options));
		return CliRun.execute(args.toArray(String[]::new));
	}

	private static Map<String, Object> summary(CliRun run) {
		assertThat(run.out().strip().lines()).as("stdout of %s", run).singleElement();
		return JsonDocument.object(run.out());
	}

}
