package io.keyferry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.keyferry.testsupport.CopySummary;
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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the packaged jar prints and where it keeps its repository: a relative
 * {@code KEYFERRY_HOME} is resolved against the working directory (H2 refuses a relative
 * database path), and with {@code --json} an error leaves exactly one JSON object on
 * stdout even with logs on ({@code -v}). Run as {@code java -jar keyferry.jar} itself
 * ({@link KeyferryProcess.Builder#fatJar()}): the other jar tests run the jar extracted,
 * as the launcher does.
 */
@ExtendWith(RedisServerExtension.class)
class OutputJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);

	@TempDir
	Path directory;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@Test
	void aRelativeKeyferryHomeIsResolvedAgainstTheWorkingDirectory(RedisServer source, RedisServer target) {
		TestData.keys(300).loadInto(source);
		KeyferryProcess.Builder relative = KeyferryProcess.in(this.directory)
			.fatJar()
			.env("KEYFERRY_HOME", "relative/home");

		KeyferryProcess copy = this.processes.start(relative, "copy", "--source", source.uri(), "--target",
				target.uri(), "--json", "--progress", "off");
		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isZero();
		CopySummary summary = copy.summary();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		KeyspaceComparison.assertSameContent(source, target);

		KeyferryProcess history = this.processes.start(relative, "history", "--json");
		assertThat(history.waitFor(RUN_TIMEOUT)).as(history::describe).isZero();
		List<Map<String, Object>> entries = JsonDocument.objects(history.stdout());
		assertThat(entries).extracting((entry) -> JsonDocument.number(entry, "executionId"))
			.containsExactly(summary.executionId());
		assertThat(this.directory.resolve("relative/home/repository/keyferry.mv.db")).isRegularFile();
	}

	@Test
	void anErrorWithJsonAndLogsOnLeavesOneJsonObjectOnStdout(RedisServer target) {
		KeyferryProcess copy = this.processes.start(KeyferryProcess.in(this.directory).fatJar(), "copy", "-v", "--json",
				"--progress", "off", "--source", "redis://no_such_host.invalid:6379", "--target", target.uri());

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(2);
		assertThat(copy.stdout().strip().lines()).as(copy::describe).singleElement();
		Map<String, Object> error = JsonDocument.object(copy.stdout());
		assertThat(error).containsEntry("status", "ERROR").containsEntry("exitCode", 2L);
		assertThat((String) error.get("error")).contains("no_such_host.invalid");
		assertThat(copy.stderr()).contains("error: " + error.get("error"), "hint: " + error.get("hint"));
	}

}
