package io.keyferry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyferryProcesses;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TargetDamage;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar's {@code verify --fix}: a target damaged on purpose (10 missing, 10
 * changed values, 10 changed TTLs, 5 changed types, 10 extra keys) gives exactly those
 * counts and exit 4; {@code --fix --delete-extra --extra} repairs it (exit 0, the counts
 * of what it fixed and deleted), after which a verify finds nothing; and a fix killed
 * with SIGKILL after writing its page, before committing it, is finished by the same
 * command.
 */
@ExtendWith(RedisServerExtension.class)
class VerifyFixJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);

	private static final int EXIT_OK = 0;

	private static final int EXIT_DIFFERENT = 4;

	@TempDir
	Path home;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@Test
	void fixRepairsADamagedTarget(RedisServer source, RedisServer target) {
		TestData.keys(400).loadInto(source);
		assertThat(run(KeyferryProcess.in(this.home), "copy", source, target)).isEqualTo(EXIT_OK);
		TargetDamage.apply(source, target);

		Map<String, Object> found = summary(
				runExpecting(EXIT_DIFFERENT, "verify", source, target, "--extra", "--pass-pause", "10ms"));
		assertThat(found).containsEntry("status", "COMPLETED")
			.containsEntry("checked", 400L)
			.containsEntry("equal", 365L)
			.containsEntry("missing", 10L)
			.containsEntry("differentValue", 10L)
			.containsEntry("differentTtl", 10L)
			.containsEntry("differentType", 5L)
			.containsEntry("extra", 10L)
			.containsEntry("differences", 45L)
			.containsEntry("fix", false);

		Map<String, Object> fixed = summary(runExpecting(EXIT_OK, "verify", source, target, "--fix", "--delete-extra",
				"--extra", "--pass-pause", "10ms"));
		assertThat(fixed).containsEntry("status", "COMPLETED")
			.containsEntry("fix", true)
			.containsEntry("fixed", 35L)
			.containsEntry("deleted", 10L)
			.containsEntry("checked", 400L)
			.containsEntry("equal", 400L)
			.containsEntry("extra", 0L)
			.containsEntry("differences", 0L)
			.containsEntry("exitCode", 0L);
		KeyspaceComparison.assertSameContent(source, target);

		Map<String, Object> again = summary(runExpecting(EXIT_OK, "verify", source, target, "--extra"));
		assertThat(again).containsEntry("checked", 400L).containsEntry("differences", 0L);
	}

	@Test
	void fixKilledBeforeItsPageCommitsIsFinishedByTheSameCommand(RedisServer source, RedisServer target) {
		TestData.keys(300).loadInto(source);
		assertThat(run(KeyferryProcess.in(this.home), "copy", source, target)).isEqualTo(EXIT_OK);
		TargetDamage.apply(source, target);
		String[] fix = { "--fix", "--delete-extra", "--extra", "--pass-pause", "10ms" };

		KeyferryProcess killed = this.processes.start(
				KeyferryProcess.in(this.home).env("KEYFERRY_TEST_HALT_AT", "fix-page"),
				args("verify", source, target, fix));
		killed.awaitStderr(RUN_TIMEOUT, "keyferry: halted at fix-page");
		killed.kill();

		Map<String, Object> resumed = summary(runExpecting(EXIT_OK, "verify", source, target, fix));
		assertThat(resumed).containsEntry("status", "COMPLETED")
			.containsEntry("run", 1L)
			.containsEntry("differences", 0L);
		// the page that was written but not committed is fixed again; its extra keys are
		// gone already, so the resumed fix deletes none
		assertThat(resumed).containsEntry("fixed", 35L).containsEntry("deleted", 0L);
		KeyspaceComparison.assertSameContent(source, target);
	}

	private KeyferryProcess runExpecting(int exitCode, String command, RedisServer source, RedisServer target,
			String... options) {
		KeyferryProcess process = this.processes.start(KeyferryProcess.in(this.home),
				args(command, source, target, options));
		assertThat(process.waitFor(RUN_TIMEOUT)).as(process::describe).isEqualTo(exitCode);
		return process;
	}

	private int run(KeyferryProcess.Builder builder, String command, RedisServer source, RedisServer target) {
		KeyferryProcess process = this.processes.start(builder, args(command, source, target));
		return process.waitFor(RUN_TIMEOUT);
	}

	private static String[] args(String command, RedisServer source, RedisServer target, String... options) {
		List<String> args = new ArrayList<>(
				List.of(command, "--source", source.uri(), "--target", target.uri(), "--json", "--progress", "off"));
		args.addAll(List.of(options));
		return args.toArray(String[]::new);
	}

	private static Map<String, Object> summary(KeyferryProcess process) {
		assertThat(process.stdout().strip().lines()).as(process::describe).singleElement();
		return JsonDocument.object(process.stdout());
	}

}
