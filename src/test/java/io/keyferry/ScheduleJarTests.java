package io.keyferry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyferryProcesses;
import io.keyferry.testsupport.KeyspaceComparison;
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
 * The packaged jar's {@code keyferry schedule} under SIGTERM, as a service manager stops
 * it: while a copy runs, the copy stops at its next chunk, the tick is reported as
 * stopped and the process exits 3 (the next start resumes the run); while it waits for a
 * tick, it exits 0 at once.
 */
@ExtendWith(RedisServerExtension.class)
class ScheduleJarTests {

	private static final Duration TIMEOUT = Duration.ofMinutes(3);

	private static final int KEYS = 1000;

	@TempDir
	Path home;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@Test
	void sigtermDuringACopyStopsItReportsTheTickAsStoppedAndExits3(RedisServer source, RedisServer target)
			throws IOException {
		TestData.keys(KEYS).loadInto(source);
		// about 4 s per copy
		Path config = config(source, target, "rate-limit: 250", "chunk-size: 50", "scan-count: 50");

		KeyferryProcess schedule = this.processes.start(KeyferryProcess.in(this.home), "schedule", "--cron",
				"*/1 * * * * *", "--config", config.toString());
		schedule.awaitStderr(TIMEOUT, "starting run #1");
		schedule.terminate();

		assertThat(schedule.waitFor(TIMEOUT)).as(schedule::describe).isEqualTo(3);
		Map<String, Object> tick = ranTicks(schedule).get(0);
		assertThat(ranTicks(schedule)).as(schedule::describe).hasSize(1);
		assertThat(tick.get("status")).isEqualTo("stopped");
		assertThat(number(tick, "exitCode")).isEqualTo(3);
		assertThat((String) tick.get("error")).isEqualTo("the run was stopped");
		assertThat(number(tick, "written")).isLessThan(KEYS);

		// started again, its first tick resumes the run
		KeyferryProcess again = this.processes.start(KeyferryProcess.in(this.home), "schedule", "--cron",
				"*/1 * * * * *", "--config", config.toString(), "--max-runs", "1");
		assertThat(again.waitFor(TIMEOUT)).as(again::describe).isZero();
		Map<String, Object> resumed = ranTicks(again).get(0);
		assertThat(resumed.get("status")).isEqualTo("completed");
		assertThat(number(resumed, "runId")).isEqualTo(number(tick, "runId"));
		assertThat(number(resumed, "executionId")).isGreaterThan(number(tick, "executionId"));
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void sigtermWhileWaitingForATickExits0(RedisServer source, RedisServer target) throws IOException {
		TestData.keys(10).loadInto(source);
		Path config = config(source, target);

		KeyferryProcess schedule = this.processes.start(KeyferryProcess.in(this.home), "schedule", "--cron",
				"0 0 0 1 1 *", "--config", config.toString());
		schedule.awaitStderr(TIMEOUT, "scheduled: ");
		schedule.terminate();

		assertThat(schedule.waitFor(TIMEOUT)).as(schedule::describe).isZero();
		assertThat(schedule.stdout()).as("no tick came").isEmpty();
		assertThat(target.sync().dbsize()).isZero();
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

	private static List<Map<String, Object>> ranTicks(KeyferryProcess schedule) {
		return JsonDocument.lines(schedule.stdout())
			.stream()
			.filter((line) -> !"skipped".equals(line.get("status")))
			.toList();
	}

}
