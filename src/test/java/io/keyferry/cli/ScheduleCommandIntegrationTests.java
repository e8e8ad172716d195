package io.keyferry.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.MemoryLimit;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static io.keyferry.testsupport.JsonDocument.number;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code keyferry schedule}: one process that runs the copy of a config file at each tick
 * of a cron expression, printing one JSON line per run and per skipped tick; ticks never
 * overlap, and a run left unfinished is resumed by the next tick.
 */
@ExtendWith(RedisServerExtension.class)
class ScheduleCommandIntegrationTests {

	private static final String EVERY_SECOND = "*/1 * * * * *";

	@TempDir
	Path home;

	@Test
	void runsTheCopyAtEachTickUntilMaxRuns(RedisServer source, RedisServer target) throws IOException {
		TestData.keys(200).loadInto(source);
		Path config = config(source, target, "chunk-size: 50");

		Output output = new Output((line) -> {
		});
		int exitCode = schedule(output, "--cron", EVERY_SECOND, "--config", config.toString(), "--max-runs", "2");

		assertThat(exitCode).as(output::toString).isZero();
		List<Map<String, Object>> runs = events(output, "run");
		assertThat(runs).as(output::toString).hasSize(2);
		assertThat(runs).extracting((run) -> run.get("status")).containsOnly("COMPLETED");
		assertThat(number(runs.get(1), "run")).isEqualTo(number(runs.get(0), "run") + 1);
		assertThat(number(runs.get(1), "runId")).isNotEqualTo(number(runs.get(0), "runId"));
		assertThat(tick(runs.get(1))).isAfter(tick(runs.get(0)));
		for (Map<String, Object> run : runs) {
			assertThat(run).containsKeys("tick", "time", "executionId", "source", "target", "match", "read", "written",
					"filtered", "skipped", "startTime", "endTime");
			assertThat(run.get("source")).isEqualTo(source.uri() + "/0");
			assertThat(number(run, "read")).isGreaterThanOrEqualTo(200)
				.isEqualTo(number(run, "written") + number(run, "filtered") + number(run, "skippedTotal"));
			assertThat(tick(run).getNano()).as("a tick of '%s'", EVERY_SECOND).isZero();
		}
		assertThat(output.err()).contains("scheduled: " + source.uri() + "/0 -> " + target.uri() + "/0");
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
		CliRun history = CliRun.execute("history", "--home", this.home.toString(), "--json");
		assertThat(JsonDocument.objects(history.out())).extracting((entry) -> number(entry, "executionId"))
			.containsExactly(number(runs.get(1), "executionId"), number(runs.get(0), "executionId"));
	}

	@Test
	void skipsAndLogsTicksThatComeDuringARun(RedisServer source, RedisServer target) throws IOException {
		TestData.keys(500).loadInto(source);
		// about 2 s per run: a tick every second comes while it goes
		Path config = config(source, target, "rate-limit: 250", "chunk-size: 50", "scan-count: 50");

		Output output = new Output((line) -> {
		});
		int exitCode = schedule(output, "--cron", EVERY_SECOND, "--config", config.toString(), "--max-runs", "1");

		assertThat(exitCode).as(output::toString).isZero();
		List<Map<String, Object>> runs = events(output, "run");
		assertThat(runs).as(output::toString)
			.singleElement()
			.satisfies((run) -> assertThat(run.get("status")).isEqualTo("COMPLETED"));
		Map<String, Object> run = runs.get(0);
		List<Map<String, Object>> skipped = events(output, "tick-skipped");
		assertThat(skipped).as(output::toString).isNotEmpty();
		OffsetDateTime end = OffsetDateTime.parse((String) run.get("endTime"));
		for (Map<String, Object> tick : skipped) {
			assertThat(tick.get("reason")).isEqualTo("the previous run was still going");
			assertThat(tick(tick)).as("skipped tick").isAfter(tick(run)).isBefore(end);
		}
		assertThat(skipped).extracting(ScheduleCommandIntegrationTests::tick).doesNotHaveDuplicates();
		assertThat(output.lines()).as("every stdout line is a JSON event")
			.allSatisfy((line) -> assertThat(line).startsWith("{\"event\":"));
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void theNextTickResumesAFailedRun(RedisServer source, RedisServer target) throws IOException {
		TestData.keys(1000).valueSize(64).loadInto(source);
		Path config = config(source, target, "chunk-size: 50", "scan-count: 50", "retries: 1", "retry-backoff: 20ms");

		MemoryLimit.leaveHeadroom(target);
		// lifted as soon as the first run has reported, before the next tick
		Output output = new Output((line) -> {
			if (line.contains("\"event\":\"run\"")) {
				MemoryLimit.lift(target);
			}
		});
		int exitCode = schedule(output, "--cron", EVERY_SECOND, "--config", config.toString(), "--max-runs", "2");

		assertThat(exitCode).as(output::toString).isZero();
		List<Map<String, Object>> runs = events(output, "run");
		assertThat(runs).as(output::toString).hasSize(2);
		Map<String, Object> failed = runs.get(0);
		Map<String, Object> resumed = runs.get(1);
		assertThat(failed.get("status")).isEqualTo("FAILED");
		assertThat((String) failed.get("error")).contains("OOM");
		assertThat(number(failed, "written")).isLessThan(1000);
		assertThat(resumed.get("status")).isEqualTo("COMPLETED");
		assertThat(resumed).doesNotContainKey("error");
		assertThat(number(resumed, "runId")).isEqualTo(number(failed, "runId"));
		assertThat(number(resumed, "run")).isEqualTo(number(failed, "run"));
		assertThat(number(resumed, "executionId")).isGreaterThan(number(failed, "executionId"));
		assertThat(number(failed, "written") + number(resumed, "written")).isGreaterThanOrEqualTo(1000);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void invalidCronOrConfigIsAUsageError(RedisServer source, RedisServer target) throws IOException {
		Path config = config(source, target);
		Output output = new Output((line) -> {
		});

		assertThat(schedule(output, "--cron", "every night", "--config", config.toString())).isEqualTo(ExitCode.USAGE);
		assertThat(output.err()).contains("error: invalid --cron 'every night'", "hint: ");

		Path withPassword = Files.writeString(this.home.resolve("secret.yml"),
				"source: redis://default:pw-in-file@127.0.0.1:%d\ntarget: %s\n".formatted(source.port(), target.uri()));
		Output refused = new Output((line) -> {
		});
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
		return Files.writeString(Files.createTempFile(this.home, "schedule-", ".yml"), yaml.toString());
	}

	private static List<Map<String, Object>> events(Output output, String event) {
		return JsonDocument.lines(String.join("\n", output.lines()))
			.stream()
			.filter((line) -> event.equals(line.get("event")))
			.toList();
	}

	private static OffsetDateTime tick(Map<String, Object> event) {
		return OffsetDateTime.parse((String) event.get("tick"));
	}

	/**
	 * The scheduler's stdout, split into lines; each complete line is handed to a
	 * listener on the scheduler's own thread before its print returns, so the listener
	 * acts before the next tick. Thread-safe.
	 */
	private static final class Output extends OutputStream {

		private final Consumer<String> listener;

		private final ByteArrayOutputStream line = new ByteArrayOutputStream();

		private final List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();

		final ByteArrayOutputStream err = new ByteArrayOutputStream();

		Output(Consumer<String> listener) {
			this.listener = listener;
		}

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

		List<String> lines() {
			return this.lines;
		}

		String err() {
			return this.err.toString(StandardCharsets.UTF_8);
		}

		@Override
		public String toString() {
			return "stdout:\n" + String.join("\n", this.lines) + "\nstderr:\n" + err();
		}

	}

}
