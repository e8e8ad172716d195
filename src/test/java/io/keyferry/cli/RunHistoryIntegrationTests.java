package io.keyferry.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.MemoryLimit;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestInstance.Lifecycle;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static io.keyferry.testsupport.JsonDocument.number;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code keyferry history} and {@code keyferry show} over a job repository that holds
 * every kind of execution, made once for the class by real copies: a completed run that
 * skipped conflicting keys (binary names among them), a run that failed part-way on a
 * full target and was then resumed to completion, and a run stopped mid-way (watched with
 * {@code history} while it ran). The tests only read that history.
 */
@ExtendWith(RedisServerExtension.class)
@TestInstance(Lifecycle.PER_CLASS)
class RunHistoryIntegrationTests {

	private static final String PASSWORD = "Src-pw-7Hq2";

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(60);

	private static final int A_KEYS = 200;

	private static final int B_KEYS = 1000;

	private static final int C_KEYS = 3000;

	/**
	 * The escaped names of the keys the first run skipped because the target had them.
	 */
	private static final Set<String> SKIPPED_NAMES = Set.of("a:string:0:\\x00z", "a:hash:1:\\xffz", "a:list:2:\\x0az",
			"a:string:0:\\\\x00z");

	@TempDir
	static Path home;

	private final List<String> outputs = new ArrayList<>();

	private String sourceRedacted;

	private String targetRedacted;

	private String smallTargetRedacted;

	/** Run 1: completed, with skips. */
	private CopySummary completed;

	/** Run 2, first execution: failed on a full target. */
	private CopySummary failed;

	/** Run 2, second execution: resumed and completed. */
	private CopySummary resumed;

	/** Run 3: stopped mid-way. */
	private CopySummary stopped;

	/** The same copy as run 3, started while run 3 was going (refused). */
	private CliRun refused;

	/** The newest history entry, read twice while run 3 was going. */
	private final List<Map<String, Object>> whileRunning = new ArrayList<>();

	@BeforeAll
	void makeHistory(@RedisServerOptions(password = PASSWORD) RedisServer source, RedisServer target,
			RedisServer smallTarget) {
		List<byte[]> aKeys = TestData.keys(A_KEYS).prefix("a:").loadInto(source);
		byte[] literal = "a:string:0:\\x00z".getBytes(StandardCharsets.US_ASCII);
		source.binarySync().set(literal, bytes("new"));
		for (byte[] key : List.of(aKeys.get(0), aKeys.get(1), aKeys.get(2), literal)) {
			target.binarySync().set(key, bytes("old"));
		}
		TestData.keys(B_KEYS).prefix("b:").valueSize(64).loadInto(source);
		TestData.keys(C_KEYS).prefix("c:").loadInto(source);
		String sourceUri = source.uri("default", PASSWORD);
		this.sourceRedacted = "redis://default@127.0.0.1:" + source.port() + "/0";
		this.targetRedacted = target.uri() + "/0";
		this.smallTargetRedacted = smallTarget.uri() + "/0";

		this.completed = record(CliRun.copy(home, sourceUri, target.uri(), "--match", "a:*", "--on-conflict", "skip",
				"--chunk-size", "50", "--scan-count", "50"))
			.assertExitCode(ExitCode.OK)
			.balancedSummary();
		assertThat(this.completed.skipped()).containsEntry("exists", 4L);

		String[] full = { "--match", "b:*", "--chunk-size", "50", "--scan-count", "50", "--retries", "1",
				"--retry-backoff", "20ms" };
		MemoryLimit.leaveHeadroom(smallTarget);
		this.failed = record(CliRun.copy(home, sourceUri, smallTarget.uri(), full)).assertExitCode(ExitCode.FAILED)
			.balancedSummary();
		MemoryLimit.lift(smallTarget);
		this.resumed = record(CliRun.copy(home, sourceUri, smallTarget.uri(), full)).assertExitCode(ExitCode.OK)
			.balancedSummary();
		assertThat(this.resumed.runId()).isEqualTo(this.failed.runId());

		try (BackgroundRun copy = BackgroundRun.start("copy", "--home", home.toString(), "--source", sourceUri,
				"--target", target.uri(), "--match", "c:*", "--chunk-size", "100", "--scan-count", "100",
				"--rate-limit", "500", "--json", "--progress", "off")) {
			copy.awaitStderr(RUN_TIMEOUT, "starting run");
			List<String> history = List.of("history", "--home", home.toString(), "--json");
			Map<String, Object> first = copy.awaitNewestEntry(history,
					(entry) -> "STARTED".equals(entry.get("status")) && number(entry, "read") > 0, RUN_TIMEOUT);
			this.whileRunning.add(first);
			this.whileRunning.add(copy.awaitNewestEntry(history,
					(entry) -> number(entry, "read") > number(first, "read"), RUN_TIMEOUT));
			this.refused = record(CliRun.copy(home, sourceUri, target.uri(), "--match", "c:*", "--chunk-size", "100",
					"--scan-count", "100", "--rate-limit", "500"));
			record(keyferry("stop")).assertExitCode(ExitCode.OK);
			this.stopped = record(copy.await(RUN_TIMEOUT)).assertExitCode(ExitCode.STOPPED).balancedSummary();
		}
		assertThat(this.stopped.read()).isPositive().isLessThan(C_KEYS);
	}

	/** ISO-8601 with milliseconds and the offset from UTC. */
	private static final Pattern JSON_TIME = Pattern
		.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(Z|[+-]\\d{2}:\\d{2})");

	@Test
	void jsonFieldNamesAreCamelCaseBooleansAreBooleansAndTimesHaveAnOffset() {
		List<Object> documents = new ArrayList<>();
		for (CopySummary summary : List.of(this.completed, this.failed, this.resumed, this.stopped)) {
			documents.add(JsonDocument.parse(summary.toString()));
			documents.add(showJson(summary.executionId(), "--skipped", "all"));
		}
		documents.add(historyJson());

		for (Object document : documents) {
			assertJsonConventions(document, "$", document);
		}
		assertThat(JsonDocument.asObject(showJson(this.completed.executionId()).get("parameters")))
			.containsEntry("dryRun", false);
		assertThat(JsonDocument.asObject(JsonDocument.parse(this.completed.toString()))).containsEntry("dryRun", false);
	}

	private static void assertJsonConventions(Object value, String path, Object document) {
		if (value instanceof Map<?, ?> map) {
			map.forEach((name, field) -> {
				String fieldPath = path + "." + name;
				assertThat((String) name).as("field name %s in %s", fieldPath, document).matches("[a-z][a-zA-Z0-9]*");
				if (((String) name).endsWith("Time") || "tick".equals(name) || "time".equals(name)) {
					if (field != null) {
						assertThat((String) field).as("%s in %s", fieldPath, document).matches(JSON_TIME);
					}
				}
				assertJsonConventions(field, fieldPath, document);
			});
		}
		else if (value instanceof List<?> list) {
			for (int i = 0; i < list.size(); i++) {
				assertJsonConventions(list.get(i), path + "[" + i + "]", document);
			}
		}
		else if (value instanceof String text) {
			assertThat(text).as("%s is a boolean as a string in %s", path, document).isNotIn("true", "false");
		}
	}

	@Test
	void jsonSummaryOfAnExecutionThatDidNotCompleteHasTheExitCodeErrorAndHint() {
		assertThat(this.failed.field("exitCode")).isEqualTo((long) ExitCode.FAILED);
		assertThat(this.failed.error()).isNotBlank();
		assertThat((String) this.failed.field("hint")).isNotBlank();
		assertThat(this.stopped.field("exitCode")).isEqualTo((long) ExitCode.STOPPED);
		assertThat((String) this.stopped.field("hint")).contains("keyferry resume " + this.stopped.executionId());
		assertThat(this.completed.field("exitCode")).isEqualTo((long) ExitCode.OK);
	}

	@Test
	void aCopyRefusedBecauseTheRunIsGoingElsewherePrintsOneJsonObject() {
		assertThat(this.refused.exitCode()).as("%s", this.refused).isNotZero();
		assertThat(this.refused.out().strip().lines()).as("stdout of %s", this.refused).singleElement();
		Map<String, Object> error = JsonDocument.object(this.refused.out());
		assertThat(error).containsOnlyKeys("status", "exitCode", "error", "hint").containsEntry("status", "ERROR");
		assertThat(error.get("exitCode")).isEqualTo((long) this.refused.exitCode());
		assertThat((String) error.get("error")).as("%s", this.refused).contains("right now");
		assertThat(this.refused.errorLine()).isEqualTo("error: " + error.get("error"));
	}

	@Test
	void historyListsEveryExecutionNewestFirst() {
		List<Map<String, Object>> entries = historyJson();

		assertThat(entries).extracting((entry) -> number(entry, "executionId"))
			.containsExactly(this.stopped.executionId(), this.resumed.executionId(), this.failed.executionId(),
					this.completed.executionId());
		assertThat(entries).extracting((entry) -> entry.get("status"))
			.containsExactly("STOPPED", "COMPLETED", "FAILED", "COMPLETED");
		assertThat(entries).extracting((entry) -> number(entry, "runId"))
			.containsExactly(this.stopped.runId(), this.failed.runId(), this.failed.runId(), this.completed.runId());
		assertThat(entries).extracting((entry) -> entry.get("match")).containsExactly("c:*", "b:*", "b:*", "a:*");
		assertThat(entries).extracting((entry) -> entry.get("target"))
			.containsExactly(this.targetRedacted, this.smallTargetRedacted, this.smallTargetRedacted,
					this.targetRedacted);
		assertThat(entries).extracting((entry) -> entry.get("source")).containsOnly(this.sourceRedacted);
	}

	@Test
	void historyJsonGivesTheCountsAndTimesOfEachExecution() {
		List<Map<String, Object>> entries = historyJson();
		List<CopySummary> summaries = List.of(this.stopped, this.resumed, this.failed, this.completed);

		for (int i = 0; i < entries.size(); i++) {
			Map<String, Object> entry = entries.get(i);
			CopySummary summary = summaries.get(i);
			assertThat(entry).as("history entry %s", entry)
				.containsKeys("executionId", "runId", "status", "source", "target", "match", "startTime", "endTime",
						"read", "written", "filtered", "skipped", "skippedTotal", "next");
			assertThat(number(entry, "read")).isEqualTo(summary.read());
			assertThat(number(entry, "written")).isEqualTo(summary.written());
			assertThat(number(entry, "filtered")).isEqualTo(summary.filtered());
			assertThat(number(entry, "skippedTotal")).isEqualTo(summary.skippedTotal());
			assertThat(entry.get("skipped")).isEqualTo(summary.field("skipped"));
			assertThat(number(entry, "read")).as("read = written + filtered + skipped in %s", entry)
				.isEqualTo(number(entry, "written") + number(entry, "filtered") + number(entry, "skippedTotal"));
			OffsetDateTime start = OffsetDateTime.parse((String) entry.get("startTime"));
			OffsetDateTime end = OffsetDateTime.parse((String) entry.get("endTime"));
			assertThat(end).isAfterOrEqualTo(start);
		}
		assertThat(JsonDocument.asObject(entries.get(3).get("skipped"))).containsEntry("exists", 4L);
		assertThat(number(entries.get(2), "written")).as("keys the failed execution wrote").isLessThan(B_KEYS);
		assertThat(number(entries.get(2), "written") + number(entries.get(1), "written"))
			.as("keys written by both executions of the resumed run")
			.isGreaterThanOrEqualTo(B_KEYS);
	}

	@Test
	void onlyTheLatestExecutionOfAnUnfinishedRunShowsTheResumeCommand() {
		List<Map<String, Object>> entries = historyJson();

		assertThat(entries).extracting((entry) -> entry.get("next"))
			.containsExactly("keyferry resume " + this.stopped.executionId(), null, null, null);
	}

	@Test
	void historyTextHasOneLinePerExecutionAndTheResumeCommandOfTheUnfinishedRun() {
		CliRun run = keyferry("history").assertExitCode(ExitCode.OK);
		List<String> lines = run.out().lines().toList();

		assertThat(lines).hasSize(5);
		assertThat(lines.get(0)).startsWith("EXEC").contains("RUN", "STATUS", "STARTED", "READ", "WRITTEN", "SKIPPED");
		assertThat(lines.subList(1, 5)).as("the RUN column: the run number that copy --json reports as 'run'")
			.extracting((line) -> line.split("\\s+")[1])
			.containsExactly("#" + this.stopped.run(), "#" + this.resumed.run(), "#" + this.failed.run(),
					"#" + this.completed.run());
		assertThat(lines.subList(1, 5)).extracting((line) -> line.split("\\s+")[3])
			.allSatisfy((started) -> assertThat(started)
				.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(Z|[+-]\\d{2}:\\d{2})"));
		assertThat(lines.subList(1, 5)).extracting((line) -> Long.parseLong(line.split("\\s+")[0]))
			.containsExactly(this.stopped.executionId(), this.resumed.executionId(), this.failed.executionId(),
					this.completed.executionId());
		assertThat(lines.get(1)).contains("STOPPED", this.sourceRedacted + " -> " + this.targetRedacted, "match c:*")
			.endsWith("(keyferry resume " + this.stopped.executionId() + ")");
		assertThat(lines.get(3)).contains("FAILED", "match b:*").doesNotContain("keyferry resume");
		assertThat(lines.get(4)).contains("COMPLETED", "match a:*")
			.containsPattern("\\s" + this.completed.read() + "\\s+" + this.completed.written() + "\\s+0\\s+4\\s");
	}

	@Test
	void statusSelectsTheExecutionsWithThatStatus() {
		assertThat(historyJson("--status", "FAILED")).extracting((entry) -> number(entry, "executionId"))
			.containsExactly(this.failed.executionId());
		assertThat(historyJson("--status", "completed")).extracting((entry) -> number(entry, "executionId"))
			.containsExactly(this.resumed.executionId(), this.completed.executionId());
		assertThat(historyJson("--status", "STOPPED")).extracting((entry) -> number(entry, "executionId"))
			.containsExactly(this.stopped.executionId());
		assertThat(historyJson("--status", "ABANDONED")).isEmpty();
		CliRun text = keyferry("history", "--status", "FAILED").assertExitCode(ExitCode.OK);
		assertThat(text.out().lines().skip(1)).singleElement().asString().contains("FAILED");

		CliRun invalid = keyferry("history", "--status", "BROKEN").assertExitCode(ExitCode.USAGE).assertErrorWithHint();
		assertThat(invalid.errorLine()).contains("BROKEN");
	}

	@Test
	void limitKeepsTheNewestExecutions() {
		assertThat(historyJson("--limit", "2")).extracting((entry) -> number(entry, "executionId"))
			.containsExactly(this.stopped.executionId(), this.resumed.executionId());
		assertThat(historyJson("--limit", "1", "--status", "COMPLETED"))
			.extracting((entry) -> number(entry, "executionId"))
			.containsExactly(this.resumed.executionId());
		assertThat(keyferry("history", "--limit", "3").assertExitCode(ExitCode.OK).out().lines()).hasSize(4);
		keyferry("history", "--limit", "0").assertExitCode(ExitCode.USAGE).assertErrorWithHint();
	}

	@Test
	void historyReadWhileACopyRunsShowsItStartedWithGrowingCounts() {
		Map<String, Object> first = this.whileRunning.get(0);
		Map<String, Object> second = this.whileRunning.get(1);
		long pid = ProcessHandle.current().pid();

		for (Map<String, Object> entry : this.whileRunning) {
			assertThat(number(entry, "executionId")).isEqualTo(this.stopped.executionId());
			assertThat(entry.get("status")).isEqualTo("STARTED");
			assertThat(entry.get("endTime")).isNull();
			assertThat((String) entry.get("next")).startsWith("running: pid " + pid + " on ");
			assertThat(number(entry, "read"))
				.isEqualTo(number(entry, "written") + number(entry, "filtered") + number(entry, "skippedTotal"));
		}
		assertThat(number(second, "read")).isGreaterThan(number(first, "read"));
		assertThat(number(second, "written")).isGreaterThan(number(first, "written"));
		assertThat(number(second, "read")).isLessThanOrEqualTo(this.stopped.read());
	}

	@Test
	void showGivesParametersStepsAndEveryExecutionOfTheRunWithTotals() {
		Map<String, Object> details = showJson(this.resumed.executionId());

		assertThat(number(details, "executionId")).isEqualTo(this.resumed.executionId());
		assertThat(details.get("status")).isEqualTo("COMPLETED");
		assertThat(JsonDocument.asObject(details.get("parameters"))).containsEntry("source", this.sourceRedacted)
			.containsEntry("target", this.smallTargetRedacted)
			.containsEntry("match", "b:*")
			.containsEntry("run", 1L)
			.containsEntry("onConflict", "replace")
			.containsEntry("chunkSize", 50L)
			.containsEntry("scanCount", 50L)
			.containsEntry("retries", 1L)
			.containsEntry("retryBackoffMs", 20L)
			.containsEntry("dryRun", false);
		List<Map<String, Object>> steps = objects(details.get("steps"));
		assertThat(steps).extracting((step) -> step.get("name")).contains("copy", "copy-partition:node0.range0");
		Map<String, Object> partition = step(steps, "copy-partition:node0.range0");
		assertThat(partition).containsEntry("status", "COMPLETED").containsEntry("done", true);
		assertThat(number(partition, "commits")).isPositive();
		assertThat(partition.get("cursor")).isNotNull();
		assertThat(number(partition, "read")).isEqualTo(this.resumed.read());
		List<Map<String, Object>> executions = objects(details.get("runExecutions"));
		assertThat(executions).extracting((execution) -> number(execution, "executionId"))
			.containsExactly(this.failed.executionId(), this.resumed.executionId());
		assertThat(executions).extracting((execution) -> execution.get("status"))
			.containsExactly("FAILED", "COMPLETED");
		Map<String, Object> totals = JsonDocument.asObject(details.get("runTotals"));
		for (String count : List.of("read", "written", "filtered", "bytes")) {
			assertThat(number(totals, count)).as("run total of %s", count)
				.isEqualTo(number(executions.get(0), count) + number(executions.get(1), count));
		}
		assertThat(number(totals, "read")).isEqualTo(this.failed.read() + this.resumed.read());
		assertThat(number(totals, "written")).isGreaterThanOrEqualTo(B_KEYS);
		assertThat(number(details, "skippedCount")).isZero();
	}

	@Test
	void showOfAStoppedExecutionGivesItsCheckpointAndTheResumeCommand() {
		Map<String, Object> details = showJson(this.stopped.executionId());

		assertThat(details).containsEntry("status", "STOPPED")
			.containsEntry("next", "keyferry resume " + this.stopped.executionId());
		Map<String, Object> partition = step(objects(details.get("steps")), "copy-partition:node0.range0");
		assertThat(partition).containsEntry("status", "STOPPED").containsEntry("done", false);
		assertThat(number(partition, "commits")).isPositive();
		assertThat((String) partition.get("cursor")).as("checkpointed cursor").matches("[1-9][0-9]*");
		assertThat((Double) partition.get("scanned")).isGreaterThan(0.0).isLessThan(1.0);
		assertThat(objects(details.get("runExecutions"))).singleElement()
			.satisfies((execution) -> assertThat(number(execution, "read")).isEqualTo(this.stopped.read()));

		CliRun text = keyferry("show", Long.toString(this.stopped.executionId())).assertExitCode(ExitCode.OK);
		assertThat(text.out()).contains("STOPPED  execution " + this.stopped.executionId(),
				"  next: keyferry resume " + this.stopped.executionId());
		assertThat(text.out()).containsPattern(
				"checkpoint: cursor " + partition.get("cursor") + ", [0-9.]+% scanned, source run_id [0-9a-f]{40}");
	}

	@Test
	void showTextListsParametersStepsAndTheRunsExecutionsWithTotals() {
		CliRun run = keyferry("show", Long.toString(this.resumed.executionId())).assertExitCode(ExitCode.OK);
		String out = run.out();

		assertThat(out).startsWith("COMPLETED  execution " + this.resumed.executionId() + "  run #1");
		assertThat(out).contains("parameters:", "  source = " + this.sourceRedacted,
				"  target = " + this.smallTargetRedacted, "  match = b:*", "  chunk-size = 50", "steps:",
				"copy-partition:node0.range0", "(done)", "executions of run #1:", "skipped keys: 0");
		assertThat(out).containsPattern("(?m)^  " + this.failed.executionId() + "\\s+FAILED\\s");
		assertThat(out).containsPattern("(?m)^  " + this.resumed.executionId() + "\\s+COMPLETED\\s");
		Matcher total = Pattern.compile("(?m)^  total\\s+read ([0-9,]+) written ([0-9,]+)").matcher(out);
		assertThat(total.find()).as("total line in%n%s", out).isTrue();
		assertThat(Long.parseLong(total.group(1).replace(",", ""))).isEqualTo(this.failed.read() + this.resumed.read());
		assertThat(Long.parseLong(total.group(2).replace(",", "")))
			.isEqualTo(this.failed.written() + this.resumed.written());
	}

	@Test
	void showListsSkippedKeysEscapedAndUnambiguously() {
		Map<String, Object> details = showJson(this.completed.executionId(), "--skipped", "all");

		assertThat(number(details, "skippedCount")).isEqualTo(4);
		List<Map<String, Object>> skipped = objects(details.get("skippedKeys"));
		assertThat(skipped).extracting((skip) -> (String) skip.get("key"))
			.containsExactlyInAnyOrderElementsOf(SKIPPED_NAMES);
		assertThat(skipped).extracting((skip) -> skip.get("reason")).containsOnly("exists");
		assertThat(skipped).extracting((skip) -> (String) skip.get("detail"))
			.allSatisfy((detail) -> assertThat(detail).contains("BUSYKEY"));

		CliRun text = keyferry("show", Long.toString(this.completed.executionId()), "--skipped", "all")
			.assertExitCode(ExitCode.OK);
		List<String> lines = text.out().lines().dropWhile((line) -> !line.startsWith("skipped keys:")).toList();
		assertThat(lines.get(0)).isEqualTo("skipped keys: 4");
		assertThat(lines.subList(1, lines.size())).hasSize(4)
			.allSatisfy((line) -> assertThat(line).startsWith("  exists  \"").matches("[\\x20-\\x7e]+"))
			.extracting((line) -> line.substring("  exists  \"".length(), line.indexOf("\"  ")))
			.containsExactlyInAnyOrderElementsOf(SKIPPED_NAMES);
	}

	@Test
	void skippedSaysHowManySkippedKeysToList() {
		Map<String, Object> two = showJson(this.completed.executionId(), "--skipped", "2");
		assertThat(number(two, "skippedCount")).isEqualTo(4);
		assertThat(objects(two.get("skippedKeys"))).hasSize(2)
			.extracting((skip) -> (String) skip.get("key"))
			.isSubsetOf(SKIPPED_NAMES);
		assertThat(objects(showJson(this.completed.executionId(), "--skipped", "0").get("skippedKeys"))).isEmpty();
		assertThat(objects(showJson(this.completed.executionId()).get("skippedKeys"))).as("default: up to 20")
			.hasSize(4);

		CliRun text = keyferry("show", Long.toString(this.completed.executionId()), "--skipped", "1")
			.assertExitCode(ExitCode.OK);
		assertThat(text.out()).contains("skipped keys: 4 (showing 1)");
		assertThat(text.out().lines().filter((line) -> line.startsWith("  exists  \""))).hasSize(1);

		keyferry("show", Long.toString(this.completed.executionId()), "--skipped", "some")
			.assertExitCode(ExitCode.USAGE)
			.assertErrorWithHint();
		keyferry("show", Long.toString(this.completed.executionId()), "--skipped", "-1").assertExitCode(ExitCode.USAGE)
			.assertErrorWithHint();
	}

	@Test
	void showOfAnUnknownExecutionIsAUsageError() {
		CliRun run = keyferry("show", "999999").assertExitCode(ExitCode.USAGE).assertErrorWithHint();

		assertThat(run.errorLine()).contains("no execution 999999");
		assertThat(run.hintLine()).contains("keyferry history");
	}

	@Test
	void resumeAndStopOfAnUnknownExecutionAreUsageErrors() {
		CliRun resume = keyferry("resume", "999999", "--progress", "off").assertExitCode(ExitCode.USAGE)
			.assertErrorWithHint();
		assertThat(resume.errorLine()).contains("no execution 999999");

		CliRun stop = keyferry("stop", "999999").assertExitCode(ExitCode.USAGE).assertErrorWithHint();
		assertThat(stop.errorLine()).contains("no execution 999999");
	}

	@Test
	void thePasswordIsNeverPrintedLoggedOrStored() throws IOException {
		keyferry("history");
		showJson(this.resumed.executionId());

		assertThat(this.outputs).isNotEmpty().allSatisfy((output) -> assertThat(output).doesNotContain(PASSWORD));
		assertThat(contents(home.resolve("logs"))).as("logs").doesNotContain(PASSWORD);
		assertThat(contents(home.resolve("repository"))).as("job repository files").doesNotContain(PASSWORD);
	}

	private List<Map<String, Object>> historyJson(String... options) {
		List<String> args = new ArrayList<>(List.of("history", "--json"));
		args.addAll(List.of(options));
		CliRun run = keyferry(args.toArray(String[]::new)).assertExitCode(ExitCode.OK);
		return JsonDocument.objects(run.out());
	}

	private Map<String, Object> showJson(long executionId, String... options) {
		List<String> args = new ArrayList<>(List.of("show", Long.toString(executionId), "--json"));
		args.addAll(List.of(options));
		CliRun run = keyferry(args.toArray(String[]::new)).assertExitCode(ExitCode.OK);
		return JsonDocument.object(run.out());
	}

	/** Runs a command with this class's home; its output is kept for the secret check. */
	private CliRun keyferry(String... args) {
		List<String> all = new ArrayList<>(List.of(args[0], "--home", home.toString()));
		all.addAll(List.of(args).subList(1, args.length));
		return record(CliRun.execute(all.toArray(String[]::new)));
	}

	private synchronized CliRun record(CliRun run) {
		this.outputs.add(run.out() + run.err());
		return run;
	}

	private static List<Map<String, Object>> objects(Object list) {
		assertThat(list).isInstanceOf(List.class);
		return ((List<?>) list).stream().map(JsonDocument::asObject).toList();
	}

	private static Map<String, Object> step(List<Map<String, Object>> steps, String name) {
		return steps.stream()
			.filter((step) -> name.equals(step.get("name")))
			.findFirst()
			.orElseThrow(() -> new AssertionError("no step " + name + " in " + steps));
	}

	private static byte[] bytes(String value) {
		return value.getBytes(StandardCharsets.US_ASCII);
	}

	/** The bytes of every file under a directory, one char per byte. */
	private static String contents(Path dir) throws IOException {
		StringBuilder contents = new StringBuilder();
		try (Stream<Path> files = Files.walk(dir)) {
			for (Path file : files.filter(Files::isRegularFile).collect(Collectors.toList())) {
				contents.append(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
			}
		}
		return contents.toString();
	}

}
