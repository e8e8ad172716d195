package io.keyferry.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import io.keyferry.testsupport.Databases;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.MemoryLimit;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static io.keyferry.testsupport.JsonDocument.number;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * {@code keyferry schedule}: one process that runs the copy of a config file at each tick
 * of a cron expression, printing one JSON line per tick (completed, failed, stopped or
 * skipped); ticks never overlap, a failed tick is reported as failed and the next tick
 * tries again (resuming the run), and a configuration the scheduler cannot use is refused
 * at start, before the first tick.
 */
@ExtendWith(RedisServerExtension.class)
class ScheduleCommandIntegrationTests {

	private static final String EVERY_SECOND = "*/1 * * * * *";

	/** Once a year: a scheduler that waited for its first tick would not return. */
	private static final String YEARLY = "0 0 0 1 1 *";

	@TempDir
	Path home;

	@Test
	void runsTheCopyAtEachTickUntilMaxRuns(RedisServer source, RedisServer target) throws IOException {
		TestData.keys(200).loadInto(source);
		Path config = config(source, target, "chunk-size: 50");

		Output output = new Output();
		int exitCode = schedule(output, "--cron", EVERY_SECOND, "--config", config.toString(), "--max-runs", "2");

		assertThat(exitCode).as(output::toString).isZero();
		List<Map<String, Object>> runs = ticks(output, "completed");
		assertThat(runs).as(output::toString).hasSize(2);
		assertThat(number(runs.get(1), "run")).isEqualTo(number(runs.get(0), "run") + 1);
		assertThat(number(runs.get(1), "runId")).isNotEqualTo(number(runs.get(0), "runId"));
		assertThat(tick(runs.get(1))).isAfter(tick(runs.get(0)));
		for (Map<String, Object> run : runs) {
			assertThat(run).containsKeys("tick", "time", "status", "exitCode", "consecutiveFailures", "executionId",
					"runId", "run", "source", "target", "match", "read", "written", "filtered", "skipped", "startTime",
					"endTime");
			assertThat(run).doesNotContainKeys("error", "hint");
			assertThat(number(run, "exitCode")).isZero();
			assertThat(number(run, "consecutiveFailures")).isZero();
			assertThat(run.get("source")).isEqualTo(source.uri() + "/0");
			assertThat(number(run, "read")).isGreaterThanOrEqualTo(200)
				.isEqualTo(number(run, "written") + number(run, "filtered") + number(run, "skippedTotal"));
			assertThat(tick(run).getNano()).as("a tick of '%s'", EVERY_SECOND).isZero();
			assertThat(OffsetDateTime.parse((String) run.get("time"))).as("time with its offset")
				.isAfterOrEqualTo(tick(run));
		}
		assertThat(output.err()).contains("scheduled: " + source.uri() + "/0 -> " + target.uri() + "/0");
		assertThat(output.errLines()).filteredOn((line) -> line.startsWith("tick "))
			.hasSize(2)
			.allSatisfy((line) -> assertThat(line).contains(": completed (run #"));
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
		CliRun history = CliRun.execute("history", "--home", this.home.toString(), "--json");
		assertThat(JsonDocument.objects(history.out())).extracting((entry) -> number(entry, "executionId"))
			.containsExactly(number(runs.get(1), "executionId"), number(runs.get(0), "executionId"));
	}

	@Test
	void verifyInTheConfigVerifiesAfterEachCopyAndTheTickExitsByItsResult(RedisServer source, RedisServer target)
			throws IOException {
		TestData.keys(100).loadInto(source);
		source.sync().set("config:mode", "production");
		// the target's own value, which the copy keeps under skip
		target.sync().set("config:mode", "staging");
		Path config = config(source, target, "verify: true", "on-conflict: skip");

		Output output = new Output();
		int exitCode = schedule(output, "--cron", EVERY_SECOND, "--config", config.toString(), "--max-runs", "1");

		assertThat(exitCode).as(output::toString).isEqualTo(ExitCode.DIFFERENT);
		List<Map<String, Object>> runs = ticks(output, "completed");
		assertThat(runs).as(output::toString).hasSize(1);
		Map<String, Object> run = runs.get(0);
		assertThat(number(run, "exitCode")).isEqualTo(ExitCode.DIFFERENT);
		assertThat(number(run, "written")).isEqualTo(100);
		Map<String, Object> verify = JsonDocument.asObject(run.get("verify"));
		assertThat(verify).containsEntry("job", "verify")
			.containsEntry("status", "COMPLETED")
			.containsEntry("checked", 101L)
			.containsEntry("differentValue", 1L)
			.containsEntry("differences", 1L);
		assertThat(output.errLines()).filteredOn((line) -> line.startsWith("tick ") && !line.contains(": skipped, "))
			.singleElement()
			.satisfies((line) -> assertThat(line).contains(": completed (run #")
				.contains("; verify (run #")
				.endsWith(": completed, checked 101, 1 difference"));
		target.sync().set("config:mode", "production");
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void verifyWithAllDatabasesInTheConfigVerifiesEveryDatabase(RedisServer source, RedisServer target)
			throws IOException {
		// a writer of the target's own, in database 6 only: under --on-conflict skip the
		// copy keeps it
		Databases.loadWithTargetValue(source, target, 6);
		Path config = config(source, target, "verify: true", "all-databases: true", "on-conflict: skip");

		Output output = new Output();
		int exitCode = schedule(output, "--cron", EVERY_SECOND, "--config", config.toString(), "--max-runs", "1");

		assertThat(exitCode).as(output::toString).isEqualTo(ExitCode.DIFFERENT);
		List<Map<String, Object>> runs = ticks(output, "completed");
		assertThat(runs).as(output::toString).hasSize(1);
		assertThat(number(runs.get(0), "written")).isEqualTo(150);
		assertThat(JsonDocument.asObject(runs.get(0).get("verify"))).containsEntry("status", "COMPLETED")
			.containsEntry("allDatabases", true)
			.containsEntry("checked", 151L)
			.containsEntry("differentValue", 1L)
			.containsEntry("differences", 1L);
		Databases.inDatabase(6, () -> target.sync().set("config:mode", "production"), target);
		Databases.assertSameDatabases(source, target, 0, 6);
	}

	@Test
	void reportsTicksThatComeDuringACopyAsSkipped(RedisServer source, RedisServer target) throws IOException {
		TestData.keys(500).loadInto(source);
		// about 2 s per run: a tick every second comes while it goes
		Path config = config(source, target, "rate-limit: 250", "chunk-size: 50", "scan-count: 50");

		Output output = new Output();
		int exitCode = schedule(output, "--cron", EVERY_SECOND, "--config", config.toString(), "--max-runs", "1");

		assertThat(exitCode).as(output::toString).isZero();
		List<Map<String, Object>> completed = ticks(output, "completed");
		assertThat(completed).as(output::toString).hasSize(1);
		Map<String, Object> run = completed.get(0);
		List<Map<String, Object>> skipped = ticks(output, "skipped");
		assertThat(skipped).as(output::toString).isNotEmpty();
		Instant start = instant(run.get("startTime"));
		Instant end = instant(run.get("endTime"));
		assertThat(end).as("a copy of several ticks").isAfter(start.plusSeconds(1));
		for (Map<String, Object> tick : skipped) {
			assertThat(tick).containsOnlyKeys("tick", "time", "status", "reason");
			assertThat(tick.get("reason")).isEqualTo("the previous tick's copy was still going");
			assertThat(tick(tick)).as("skipped tick").isAfter(tick(run));
			// the scheduler is busy until it has reported the copy, a little after its
			// end
			assertThat(tick(tick)).as("skipped tick").isBefore(OffsetDateTime.parse((String) tick.get("time")));
		}
		// every tick while the copy went was skipped
		assertThat(skipped).extracting((tick) -> tick(tick).toInstant())
			.containsAll(everySecondBetween(tick(run).toInstant().plusSeconds(1), end));
		assertThat(skipped).extracting(ScheduleCommandIntegrationTests::tick).doesNotHaveDuplicates();
		assertThat(output.lines()).as("every stdout line is one tick's JSON object")
			.allSatisfy((line) -> assertThat(line).startsWith("{\"tick\":"));
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void theNextTickResumesAFailedRun(RedisServer source, RedisServer target) throws IOException {
		TestData.keys(1000).valueSize(64).loadInto(source);
		Path config = config(source, target, "chunk-size: 50", "scan-count: 50", "retries: 1", "retry-backoff: 20ms");

		MemoryLimit.leaveHeadroom(target);
		// lifted as soon as the first tick has reported, before the next tick
		Output output = new Output().onLine((line) -> {
			if (line.contains("\"status\":\"failed\"")) {
				MemoryLimit.lift(target);
			}
		});
		int exitCode = schedule(output, "--cron", EVERY_SECOND, "--config", config.toString(), "--max-runs", "2");

		assertThat(exitCode).as(output::toString).isZero();
		List<Map<String, Object>> runs = ticks(output, null);
		assertThat(runs).as(output::toString).hasSize(2);
		Map<String, Object> failed = runs.get(0);
		Map<String, Object> resumed = runs.get(1);
		assertThat(failed.get("status")).isEqualTo("failed");
		assertThat((String) failed.get("error")).contains("OOM");
		assertThat((String) failed.get("hint")).isNotBlank();
		assertThat(number(failed, "exitCode")).isEqualTo(ExitCode.FAILED);
		assertThat(number(failed, "consecutiveFailures")).isOne();
		assertThat(number(failed, "written")).isLessThan(1000);
		assertThat(resumed.get("status")).isEqualTo("completed");
		assertThat(resumed).doesNotContainKeys("error", "hint");
		assertThat(number(resumed, "consecutiveFailures")).isZero();
		assertThat(number(resumed, "runId")).isEqualTo(number(failed, "runId"));
		assertThat(number(resumed, "run")).isEqualTo(number(failed, "run"));
		assertThat(number(resumed, "executionId")).isGreaterThan(number(failed, "executionId"));
		assertThat(number(failed, "written") + number(resumed, "written")).isGreaterThanOrEqualTo(1000);
		assertThat(output.err()).contains(": failed (run #", "error: " + failed.get("error"),
				"hint: " + failed.get("hint"));
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void aTickThatCannotReachAServerIsReportedAsFailedAndTheNextTickTriesAgain(RedisServer source, RedisServer target)
			throws IOException {
		TestData.keys(300).loadInto(source);
		Path config = config(source, target, "chunk-size: 50", "retries: 1", "retry-backoff: 20ms");

		// the target goes down after the start-up checks, before the first tick, and
		// comes back once that tick has reported
		Output output = new Output().onErrLine((line) -> {
			if (line.startsWith("scheduled: ")) {
				target.stop();
			}
		}).onLine((line) -> {
			if (line.contains("\"status\":\"failed\"")) {
				target.restart();
			}
		});
		int exitCode = schedule(output, "--cron", EVERY_SECOND, "--config", config.toString(), "--max-runs", "2");

		assertThat(exitCode).as("the last tick completed: %s", output).isZero();
		List<Map<String, Object>> ticks = ticks(output, null);
		assertThat(ticks).as(output::toString).hasSize(2);
		Map<String, Object> failed = ticks.get(0);
		assertThat(failed.get("status")).isEqualTo("failed");
		assertThat((String) failed.get("error")).contains("cannot connect to target " + target.uri() + "/0");
		assertThat((String) failed.get("hint")).isNotBlank();
		assertThat(number(failed, "exitCode")).isEqualTo(ExitCode.USAGE);
		assertThat(number(failed, "consecutiveFailures")).isOne();
		assertThat(failed).as("no execution started").doesNotContainKey("executionId");
		assertThat(ticks.get(1).get("status")).isEqualTo("completed");
		assertThat(number(ticks.get(1), "written")).isEqualTo(300);
		assertThat(output.err()).contains("error: cannot connect to target", "hint: ");
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void exitsAfterMaxFailuresFailedTicksInARow(RedisServer source, RedisServer target) throws IOException {
		TestData.keys(300).loadInto(source);
		Path config = config(source, target, "chunk-size: 50");

		Output output = new Output().onErrLine((line) -> {
			if (line.startsWith("scheduled: ")) {
				target.stop();
			}
		});
		int exitCode = schedule(output, "--cron", EVERY_SECOND, "--config", config.toString(), "--max-failures", "2");

		assertThat(exitCode).as(output::toString).isEqualTo(ExitCode.FAILED);
		List<Map<String, Object>> ticks = ticks(output, null);
		assertThat(ticks).as(output::toString)
			.extracting((tick) -> tick.get("status"), (tick) -> number(tick, "consecutiveFailures"))
			.containsExactly(tuple("failed", 1L), tuple("failed", 2L));
		assertThat(output.err()).contains("exiting: 2 failed ticks in a row (--max-failures 2)");

		// started again once the target is back, the scheduler copies everything
		target.restart();
		Output again = new Output();
		assertThat(schedule(again, "--cron", EVERY_SECOND, "--config", config.toString(), "--max-runs", "1"))
			.as(again::toString)
			.isZero();
		assertThat(ticks(again, "completed")).as(again::toString).hasSize(1);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void badConfigurationIsRefusedAtStartBeforeTheFirstTick(RedisServer source,
			@RedisServerOptions(password = "target-secret") RedisServer target) throws IOException {
		TestData.keys(20).loadInto(source);
		Path rightPassword = Files.writeString(this.home.resolve("right-password"), "target-secret\n");
		Path wrongPassword = Files.writeString(this.home.resolve("wrong-password"), "not-the-password\n");
		String passwordFile = "target-password-file: " + rightPassword;
		int closedPort;
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			closedPort = socket.getLocalPort();
		}
		Path missing = this.home.resolve("missing.yml");
		record Case(String name, String expectedError, String... args) {
		}
		List<Case> cases = List.of(
				new Case("unreadable config", "cannot read the config file " + missing, "--cron", YEARLY, "--config",
						missing.toString()),
				new Case("config not YAML", "invalid config file", "--cron", YEARLY, "--config",
						text("source: [unclosed\n").toString()),
				new Case("unknown option in the config", "unknown option 'chunk-sise'", "--cron", YEARLY, "--config",
						config(source, target, passwordFile, "chunk-sise: 10").toString()),
				new Case("bad URI", "invalid source URI", "--cron", YEARLY, "--config",
						text("source: http://127.0.0.1:1\ntarget: " + target.uri() + "\n").toString()),
				new Case("bad cron", "invalid --cron 'every night'", "--cron", "every night", "--config",
						config(source, target, passwordFile).toString()),
				new Case("cron that never fires", "never fires", "--cron", "0 0 0 30 2 *", "--config",
						config(source, target, passwordFile).toString()),
				new Case("unknown option", "Unknown options: '--max-run'", "--cron", YEARLY, "--max-run", "1",
						"--config", config(source, target, passwordFile).toString()),
				new Case("negative --max-failures", "must not be negative", "--cron", YEARLY, "--max-failures", "-1",
						"--config", config(source, target, passwordFile).toString()),
				new Case("missing password file", "cannot read the target password file", "--cron", YEARLY, "--config",
						config(source, target, "target-password-file: " + this.home.resolve("nope")).toString()),
				new Case("unreachable source", "cannot connect to source redis://127.0.0.1:" + closedPort, "--cron",
						YEARLY, "--config",
						text("source: redis://127.0.0.1:" + closedPort + "\ntarget: " + target.uri() + "\n"
								+ passwordFile + "\n")
							.toString()),
				// no target-password-file and no KEYFERRY_TARGET_PASSWORD in this JVM
				new Case("missing password variable", "authentication failed for target", "--cron", YEARLY, "--config",
						config(source, target).toString()),
				new Case("wrong password", "authentication failed for target", "--cron", YEARLY, "--config",
						config(source, target, "target-password-file: " + wrongPassword).toString()));
		for (Case c : cases) {
			Output output = new Output();
			int exitCode = assertTimeoutPreemptively(Duration.ofMinutes(2), () -> schedule(output, c.args()),
					() -> c.name() + ": the scheduler did not refuse to start; it is waiting for its first tick: "
							+ output);
			assertThat(exitCode).as("%s: %s", c.name(), output).isEqualTo(ExitCode.USAGE);
			assertThat(output.lines()).as("%s: stdout", c.name()).isEmpty();
			assertThat(output.errLines()).as("%s: stderr", c.name())
				.hasSize(2)
				.satisfiesExactly((line) -> assertThat(line).startsWith("error: ").contains(c.expectedError()),
						(line) -> assertThat(line).startsWith("hint: "));
			assertThat(output.err()).as(c.name()).doesNotContain("target-secret", "not-the-password");
		}
		assertThat(target.sync().dbsize()).as("nothing written").isZero();
	}

	@Test
	void aPasswordInTheConfigFileIsRefused(RedisServer source, RedisServer target) throws IOException {
		Path withPassword = Files.writeString(this.home.resolve("secret.yml"),
				"source: redis://default:pw-in-file@127.0.0.1:%d\ntarget: %s\n".formatted(source.port(), target.uri()));
		Output refused = new Output();
		assertThat(schedule(refused, "--cron", EVERY_SECOND, "--config", withPassword.toString()))
			.isEqualTo(ExitCode.USAGE);
		assertThat(refused.err()).contains("holds a password").doesNotContain("pw-in-file");
		assertThat(refused.lines()).isEmpty();
	}

	private int schedule(Output output, String... args) {
		String[] all = new String[args.length + 3];
		all[0] = "schedule";
		all[1] = "--home";
		all[2] = this.home.toString();
		System.arraycopy(args, 0, all, 3, args.length);
		try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
				PrintStream err = new PrintStream(output.err, true, StandardCharsets.UTF_8)) {
			return KeyferryCommand.execute(false, out, err, all);
		}
	}

	private Path config(RedisServer source, RedisServer target, String... lines) throws IOException {
		StringBuilder yaml = new StringBuilder();
		yaml.append("source: ").append(source.uri()).append('\n');
		yaml.append("target: ").append(target.uri()).append('\n');
		for (String line : lines) {
			yaml.append(line).append('\n');
		}
		return text(yaml.toString());
	}

	private Path text(String content) throws IOException {
		return Files.writeString(Files.createTempFile(this.home, "schedule-", ".yml"), content);
	}

	/**
	 * The ticks printed on stdout, in order.
	 * @param output the scheduler's output
	 * @param status only ticks of this status, or {@code null} for all that ran a copy
	 * (not skipped)
	 * @return the ticks
	 */
	private static List<Map<String, Object>> ticks(Output output, String status) {
		return JsonDocument.lines(String.join("\n", output.lines()))
			.stream()
			.filter((line) -> (status != null) ? status.equals(line.get("status"))
					: !"skipped".equals(line.get("status")))
			.toList();
	}

	private static List<Instant> everySecondBetween(Instant first, Instant end) {
		List<Instant> seconds = new java.util.ArrayList<>();
		for (Instant second = first; second.isBefore(end); second = second.plusSeconds(1)) {
			seconds.add(second);
		}
		return seconds;
	}

	private static OffsetDateTime tick(Map<String, Object> event) {
		return OffsetDateTime.parse((String) event.get("tick"));
	}

	/** A timestamp of the run summary, with its offset or (older form) without. */
	private static Instant instant(Object timestamp) {
		try {
			return OffsetDateTime.parse((String) timestamp).toInstant();
		}
		catch (DateTimeParseException ex) {
			return LocalDateTime.parse((String) timestamp).atZone(ZoneId.systemDefault()).toInstant();
		}
	}

	/**
	 * The scheduler's stdout and stderr, split into lines; each complete line is handed
	 * to a listener on the scheduler's own thread before its print returns, so the
	 * listener acts before the next tick. Thread-safe.
	 */
	private static final class Output extends OutputStream {

		private final Lines out = new Lines();

		final Lines err = new Lines();

		Output onLine(Consumer<String> listener) {
			this.out.listener = listener;
			return this;
		}

		Output onErrLine(Consumer<String> listener) {
			this.err.listener = listener;
			return this;
		}

		@Override
		public void write(int b) {
			this.out.write(b);
		}

		List<String> lines() {
			return this.out.lines;
		}

		List<String> errLines() {
			return this.err.lines;
		}

		String err() {
			return String.join("\n", errLines());
		}

		@Override
		public String toString() {
			return "stdout:\n" + String.join("\n", lines()) + "\nstderr:\n" + err();
		}

	}

	private static final class Lines extends OutputStream {

		private final ByteArrayOutputStream line = new ByteArrayOutputStream();

		final List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();

		volatile Consumer<String> listener = (line) -> {
		};

		@Override
		public synchronized void write(int b) {
			if (b == '\n') {
				String complete = this.line.toString(StandardCharsets.UTF_8);
				this.line.reset();
				this.lines.add(complete);
				this.listener.accept(complete);
			}
			else {
				this.line.write(b);
			}
		}

	}

}
