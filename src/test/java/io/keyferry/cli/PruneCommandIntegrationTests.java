package io.keyferry.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.MemoryLimit;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.keyferry.testsupport.JsonDocument.number;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code keyferry prune}: finished runs whose last execution ended before the cutoff are
 * deleted with everything keyferry and Spring Batch stored about them; unfinished runs
 * are kept whatever their age, and stay resumable. Runs are aged by moving their
 * executions' times back in the job repository.
 */
@ExtendWith(RedisServerExtension.class)
class PruneCommandIntegrationTests {

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(60);

	@TempDir
	Path home;

	@Test
	void deletesOldFinishedRunsWithTheirSkippedKeysAndNeverUnfinishedOnes(RedisServer source, RedisServer target,
			RedisServer smallTarget) {
		List<byte[]> aKeys = TestData.keys(100).prefix("a:").loadInto(source);
		for (byte[] key : aKeys.subList(0, 3)) {
			target.binarySync().set(key, "old".getBytes(StandardCharsets.US_ASCII));
		}
		TestData.keys(100).prefix("b:").loadInto(source);
		TestData.keys(1000).prefix("c:").valueSize(64).loadInto(source);
		TestData.keys(3000).prefix("d:").loadInto(source);
		CopySummary old = copy(source, target, "--match", "a:*", "--on-conflict", "skip").assertExitCode(ExitCode.OK)
			.balancedSummary();
		CopySummary recent = copy(source, target, "--match", "b:*").assertExitCode(ExitCode.OK).balancedSummary();
		String[] full = { "--match", "c:*", "--retries", "1", "--retry-backoff", "20ms" };
		MemoryLimit.leaveHeadroom(smallTarget);
		CopySummary failed = copy(source, smallTarget, full).assertExitCode(ExitCode.FAILED).balancedSummary();
		CopySummary stopped = stoppedCopy(source, target, "d:*");
		LocalDateTime longAgo = LocalDateTime.now().minusDays(40);
		for (CopySummary summary : List.of(old, failed, stopped)) {
			age(summary.executionId(), longAgo);
		}
		assertThat(count("SELECT COUNT(*) FROM KEYFERRY_SKIPPED_KEY WHERE JOB_EXECUTION_ID = ?", old.executionId()))
			.isEqualTo(3);

		CliRun dryRun = keyferry("prune", "--older-than", "30d", "--dry-run").assertExitCode(ExitCode.OK);

		assertThat(dryRun.out().strip()).isEqualTo("would delete 1 runs, 1 executions, 3 skipped-key records");
		assertThat(count("SELECT COUNT(*) FROM BATCH_JOB_EXECUTION")).isEqualTo(4);
		assertThat(count("SELECT COUNT(*) FROM BATCH_JOB_INSTANCE")).isEqualTo(4);
		assertThat(count("SELECT COUNT(*) FROM KEYFERRY_SKIPPED_KEY")).isEqualTo(3);

		CliRun pruned = keyferry("prune", "--older-than", "30d").assertExitCode(ExitCode.OK);

		assertThat(pruned.out().strip()).isEqualTo("deleted 1 runs, 1 executions, 3 skipped-key records");
		assertGone(old);
		assertThat(count("SELECT COUNT(*) FROM KEYFERRY_SKIPPED_KEY")).isZero();
		assertThat(executionIds()).containsExactly(stopped.executionId(), failed.executionId(), recent.executionId());

		CliRun all = keyferry("prune", "--older-than", "0m").assertExitCode(ExitCode.OK);

		assertThat(all.out().strip()).as("the recent completed run, not the old unfinished ones")
			.isEqualTo("deleted 1 runs, 1 executions, 0 skipped-key records");
		assertGone(recent);
		List<Map<String, Object>> history = historyJson();
		assertThat(history).extracting((entry) -> number(entry, "executionId"))
			.containsExactly(stopped.executionId(), failed.executionId());
		assertThat(history).extracting((entry) -> entry.get("next"))
			.containsExactly("keyferry resume " + stopped.executionId(), "keyferry resume " + failed.executionId());

		// the unfinished run kept by prune still resumes; once completed it may go
		MemoryLimit.lift(smallTarget);
		CopySummary resumed = copy(source, smallTarget, full).assertExitCode(ExitCode.OK).balancedSummary();
		assertThat(resumed.runId()).isEqualTo(failed.runId());
		CliRun afterResume = keyferry("prune", "--older-than", "0m").assertExitCode(ExitCode.OK);
		assertThat(afterResume.out().strip()).isEqualTo("deleted 1 runs, 2 executions, 0 skipped-key records");
		assertGone(failed);
		assertGone(resumed);
		assertThat(executionIds()).containsExactly(stopped.executionId());
	}

	@Test
	void pruningARepositoryWithoutOldRunsDeletesNothing(RedisServer source, RedisServer target) {
		copy(source, target).assertExitCode(ExitCode.OK);

		CliRun run = keyferry("prune", "--older-than", "12h", "--dry-run").assertExitCode(ExitCode.OK);
		assertThat(run.out().strip()).isEqualTo("would delete 0 runs, 0 executions, 0 skipped-key records");
		assertThat(keyferry("prune", "--older-than", "90m").assertExitCode(ExitCode.OK).out().strip())
			.isEqualTo("deleted 0 runs, 0 executions, 0 skipped-key records");
	}

	@ParameterizedTest
	@ValueSource(strings = { "30", "30s", "1w", "-1d", "d", "thirty days" })
	void ageMustBeANumberOfDaysHoursOrMinutes(String age) {
		CliRun run = keyferry("prune", "--older-than", age).assertExitCode(ExitCode.USAGE).assertErrorWithHint();

		assertThat(run.errorLine()).contains("--older-than");
		assertThat(run.hintLine()).contains("30d", "12h", "90m");
	}

	@Test
	void ageIsRequired() {
		CliRun run = keyferry("prune").assertExitCode(ExitCode.USAGE);

		assertThat(run.err()).contains("--older-than");
	}

	/** A copy stopped with {@code keyferry stop} once it has written some keys. */
	private CopySummary stoppedCopy(RedisServer source, RedisServer target, String match) {
		try (BackgroundRun copy = BackgroundRun.start("copy", "--home", this.home.toString(), "--source", source.uri(),
				"--target", target.uri(), "--match", match, "--chunk-size", "100", "--scan-count", "100",
				"--rate-limit", "500", "--json", "--progress", "off")) {
			copy.awaitStderr(RUN_TIMEOUT, "starting run");
			copy.awaitNewestEntry(List.of("history", "--home", this.home.toString(), "--json", "--limit", "1"),
					(entry) -> "STARTED".equals(entry.get("status")) && number(entry, "written") > 0, RUN_TIMEOUT);
			keyferry("stop").assertExitCode(ExitCode.OK);
			CopySummary stopped = copy.await(RUN_TIMEOUT).assertExitCode(ExitCode.STOPPED).balancedSummary();
			assertThat(stopped.status()).isEqualTo("STOPPED");
			return stopped;
		}
	}

	private void assertGone(CopySummary summary) {
		long id = summary.executionId();
		assertThat(count("SELECT COUNT(*) FROM BATCH_JOB_EXECUTION WHERE JOB_EXECUTION_ID = ?", id))
			.as("execution %d", id)
			.isZero();
		assertThat(count("SELECT COUNT(*) FROM BATCH_JOB_INSTANCE WHERE JOB_INSTANCE_ID = ?", summary.runId()))
			.as("run %d", summary.runId())
			.isZero();
		for (String table : List.of("BATCH_STEP_EXECUTION", "BATCH_JOB_EXECUTION_PARAMS", "BATCH_JOB_EXECUTION_CONTEXT",
				"KEYFERRY_SKIPPED_KEY", "KEYFERRY_RUN_OWNER")) {
			assertThat(count("SELECT COUNT(*) FROM " + table + " WHERE JOB_EXECUTION_ID = ?", id))
				.as("rows of execution %d in %s", id, table)
				.isZero();
		}
	}

	private List<Long> executionIds() {
		return historyJson().stream().map((entry) -> number(entry, "executionId")).toList();
	}

	private List<Map<String, Object>> historyJson() {
		return JsonDocument.objects(keyferry("history", "--json").assertExitCode(ExitCode.OK).out());
	}

	private CliRun copy(RedisServer source, RedisServer target, String... options) {
		String[] all = new String[options.length + 4];
		System.arraycopy(new String[] { "--chunk-size", "50", "--scan-count", "50" }, 0, all, 0, 4);
		System.arraycopy(options, 0, all, 4, options.length);
		return CliRun.copy(this.home, source.uri(), target.uri(), all);
	}

	private CliRun keyferry(String... args) {
		String[] all = new String[args.length + 2];
		all[0] = args[0];
		all[1] = "--home";
		all[2] = this.home.toString();
		System.arraycopy(args, 1, all, 3, args.length - 1);
		return CliRun.execute(all);
	}

	/** Moves an execution's start and end back in time, as if it had run then. */
	private void age(long executionId, LocalDateTime when) {
		try (Connection connection = connect();
				PreparedStatement statement = connection.prepareStatement(
						"UPDATE BATCH_JOB_EXECUTION SET CREATE_TIME = ?, START_TIME = ?, END_TIME = ?, LAST_UPDATED = ? WHERE JOB_EXECUTION_ID = ?")) {
			Timestamp time = Timestamp.valueOf(when);
			statement.setTimestamp(1, time);
			statement.setTimestamp(2, time);
			statement.setTimestamp(3, Timestamp.valueOf(when.plusSeconds(5)));
			statement.setTimestamp(4, Timestamp.valueOf(when.plusSeconds(5)));
			statement.setLong(5, executionId);
			assertThat(statement.executeUpdate()).as("executions aged").isOne();
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private long count(String sql, Object... args) {
		try (Connection connection = connect(); PreparedStatement statement = connection.prepareStatement(sql)) {
			for (int i = 0; i < args.length; i++) {
				statement.setObject(i + 1, args[i]);
			}
			try (ResultSet rs = statement.executeQuery()) {
				rs.next();
				return rs.getLong(1);
			}
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * The home's H2 repository, opened only while no keyferry command runs: each command
	 * closes it when it ends.
	 */
	private Connection connect() throws SQLException {
		return DriverManager.getConnection("jdbc:h2:file:" + this.home.resolve("repository").resolve("keyferry")
				+ ";AUTO_SERVER=TRUE;IFEXISTS=TRUE;TRACE_LEVEL_FILE=0", "sa", "");
	}

}
