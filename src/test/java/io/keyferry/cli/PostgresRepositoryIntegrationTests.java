package io.keyferry.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.MemoryLimit;
import io.keyferry.testsupport.PostgresDatabase;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static io.keyferry.testsupport.JsonDocument.number;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A PostgreSQL job repository ({@code --repository-url}) instead of the default H2 file:
 * created on first use in an empty database, it carries a copy through a failure and its
 * resume, and {@code history} and {@code show} read it, binary skipped-key names
 * included.
 */
@ExtendWith(RedisServerExtension.class)
class PostgresRepositoryIntegrationTests {

	@RegisterExtension
	static final PostgresDatabase postgres = new PostgresDatabase();

	/**
	 * Given to servers that trust loopback clients (they ignore it), so that the test can
	 * check it is never printed or logged.
	 */
	private static final String DECOY_PASSWORD = "Pg-repo-pw-4Rt";

	private static final List<String> TABLES = List.of("batch_job_execution", "batch_job_execution_context",
			"batch_job_execution_params", "batch_job_instance", "batch_step_execution", "batch_step_execution_context",
			"keyferry_run_owner", "keyferry_skipped_key");

	@TempDir
	Path home;

	private final List<String> outputs = new ArrayList<>();

	@Test
	void createsItsSchemaOnFirstUseAndCarriesAFailedCopyToCompletion(RedisServer source, RedisServer target)
			throws IOException {
		assertThat(postgres.tables()).as("tables of the fresh database on %s", postgres.description()).isEmpty();
		List<byte[]> keys = TestData.keys(1000).valueSize(64).loadInto(source);
		// two keys with binary names the target already has: skipped, recorded as BYTEA
		List<byte[]> conflicting = keys.subList(0, 2);
		for (byte[] key : conflicting) {
			target.binarySync().set(key, "old".getBytes(StandardCharsets.US_ASCII));
		}
		MemoryLimit.leaveHeadroom(target);
		String[] copy = { "copy", "--source", source.uri(), "--target", target.uri(), "--on-conflict", "skip",
				"--chunk-size", "50", "--scan-count", "50", "--retries", "1", "--retry-backoff", "20ms", "--json",
				"--progress", "off" };

		CopySummary failed = keyferry(copy).assertExitCode(ExitCode.FAILED).balancedSummary();

		assertThat(failed.status()).isEqualTo("FAILED");
		assertThat(postgres.tables()).containsAll(TABLES);
		assertThat(postgres.queryLong("SELECT COUNT(*) FROM batch_job_execution WHERE status = 'FAILED'")).isOne();
		assertThat(this.home.resolve("repository").resolve("keyferry.mv.db")).as("the default H2 repository")
			.doesNotExist();

		MemoryLimit.lift(target);
		CopySummary resumed = keyferry(copy).assertExitCode(ExitCode.OK).balancedSummary();

		assertThat(resumed.status()).isEqualTo("COMPLETED");
		assertThat(resumed.runId()).isEqualTo(failed.runId());
		assertThat(resumed.executionId()).isGreaterThan(failed.executionId());
		assertThat(failed.skippedTotal() + resumed.skippedTotal()).as("keys skipped by both executions")
			.isGreaterThanOrEqualTo(2);
		for (byte[] key : conflicting) {
			assertThat(target.binarySync().get(key)).isEqualTo("old".getBytes(StandardCharsets.US_ASCII));
			source.binarySync().del(key);
			target.binarySync().del(key);
		}
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);

		List<Map<String, Object>> history = JsonDocument
			.objects(keyferry("history", "--json").assertExitCode(ExitCode.OK).out());
		assertThat(history).extracting((entry) -> number(entry, "executionId"))
			.containsExactly(resumed.executionId(), failed.executionId());
		assertThat(history).extracting((entry) -> entry.get("status")).containsExactly("COMPLETED", "FAILED");
		assertThat(history).extracting((entry) -> number(entry, "runId")).containsOnly(failed.runId());

		List<String> skippedKeys = new ArrayList<>();
		for (long execution : List.of(failed.executionId(), resumed.executionId())) {
			Map<String, Object> details = JsonDocument.object(
					keyferry("show", Long.toString(execution), "--json", "--skipped", "all").assertExitCode(ExitCode.OK)
						.out());
			assertThat(objects(details.get("runExecutions"))).extracting((run) -> number(run, "executionId"))
				.containsExactly(failed.executionId(), resumed.executionId());
			objects(details.get("skippedKeys")).forEach((skip) -> skippedKeys.add((String) skip.get("key")));
		}
		// keys of the failed chunk are reported too: ConflictPolicyResumeIntegrationTests
		assertThat(skippedKeys).contains("kf:string:0:\\x00z", "kf:hash:1:\\xffz");
		List<byte[]> stored = postgres.query("SELECT key_name FROM keyferry_skipped_key")
			.stream()
			.map((row) -> (byte[]) row.get("key_name"))
			.toList();
		assertThat(stored).hasSameSizeAs(skippedKeys)
			.anySatisfy((key) -> assertThat(key).isEqualTo(conflicting.get(0)))
			.anySatisfy((key) -> assertThat(key).isEqualTo(conflicting.get(1)));

		CliRun defaultRepository = CliRun.execute("history", "--home", this.home.toString())
			.assertExitCode(ExitCode.USAGE);
		assertThat(defaultRepository.errorLine()).as("history of the default H2 repository")
			.isEqualTo("error: there is no keyferry job repository in " + this.home.toAbsolutePath().normalize());
		if (repositoryPassword().equals(DECOY_PASSWORD)) {
			assertThat(this.outputs).allSatisfy((output) -> assertThat(output).doesNotContain(DECOY_PASSWORD));
			assertThat(logs()).doesNotContain(DECOY_PASSWORD);
		}
	}

	@Test
	void anInvalidOrUnreachableRepositoryIsAUsageError(RedisServer source, RedisServer target) {
		CliRun notJdbc = CliRun.execute("history", "--home", this.home.toString(), "--repository-url",
				"postgresql://127.0.0.1/keyferry");
		notJdbc.assertExitCode(ExitCode.USAGE).assertErrorWithHint();
		assertThat(notJdbc.errorLine()).contains("invalid --repository-url");

		CliRun unreachable = CliRun.execute("copy", "--home", this.home.toString(), "--repository-url",
				"jdbc:postgresql://127.0.0.1:1/keyferry", "--repository-user", "postgres", "--source", source.uri(),
				"--target", target.uri(), "--progress", "off");
		unreachable.assertExitCode(ExitCode.USAGE).assertErrorWithHint();
		assertThat(unreachable.errorLine()).contains("cannot open the job repository");

		CliRun missingPasswordFile = CliRun.execute("history", "--home", this.home.toString(), "--repository-url",
				postgres.url(), "--repository-password-file", this.home.resolve("missing").toString());
		missingPasswordFile.assertExitCode(ExitCode.USAGE).assertErrorWithHint();
	}

	/** Runs a command against the PostgreSQL repository (its password from a file). */
	private CliRun keyferry(String... args) throws IOException {
		Path passwordFile = this.home.resolve("repository.password");
		Files.writeString(passwordFile, repositoryPassword() + "\n");
		List<String> all = new ArrayList<>(
				List.of(args[0], "--home", this.home.toString(), "--repository-url", postgres.url(),
						"--repository-user", postgres.user(), "--repository-password-file", passwordFile.toString()));
		all.addAll(Arrays.asList(args).subList(1, args.length));
		CliRun run = CliRun.execute(all.toArray(String[]::new));
		this.outputs.add(run.out() + run.err());
		return run;
	}

	private static String repositoryPassword() {
		return postgres.password().isEmpty() ? DECOY_PASSWORD : postgres.password();
	}

	private static List<Map<String, Object>> objects(Object list) {
		assertThat(list).isInstanceOf(List.class);
		return ((List<?>) list).stream().map(JsonDocument::asObject).toList();
	}

	private String logs() throws IOException {
		StringBuilder logs = new StringBuilder();
		try (Stream<Path> files = Files.walk(this.home.resolve("logs"))) {
			for (Path file : files.filter(Files::isRegularFile).toList()) {
				logs.append(Files.readString(file, StandardCharsets.ISO_8859_1));
			}
		}
		return logs.toString();
	}

}
