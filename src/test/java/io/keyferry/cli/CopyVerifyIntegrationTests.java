package io.keyferry.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.keyferry.testsupport.Databases;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code keyferry copy --verify}: a clean copy is verified equal (exit 0, both summaries
 * printed), a target the copy leaves different on purpose ({@code --on-conflict skip}
 * keeps the target's own value of a key) exits 4 with the difference counted, also with
 * {@code --all-databases} (a key of database 3 only), and options that cannot be verified
 * are usage errors with nothing written.
 */
@ExtendWith(RedisServerExtension.class)
class CopyVerifyIntegrationTests {

	@TempDir
	Path home;

	@Test
	void cleanCopyIsVerifiedEqual(RedisServer source, RedisServer target) {
		TestData.keys(300).loadInto(source);

		CliRun run = copy(source, target, "--verify", "--json").assertExitCode(ExitCode.OK);

		assertThat(run.out().strip().lines()).as("stdout of %s", run).singleElement();
		Map<String, Object> summary = JsonDocument.object(run.out());
		assertThat(summary).containsEntry("status", "COMPLETED")
			.containsEntry("job", "copy")
			.containsEntry("read", 300L)
			.containsEntry("written", 300L)
			.containsEntry("exitCode", 0L);
		Map<String, Object> verify = JsonDocument.asObject(summary.get("verify"));
		assertThat(verify).containsEntry("status", "COMPLETED")
			.containsEntry("job", "verify")
			.containsEntry("checked", 300L)
			.containsEntry("equal", 300L)
			.containsEntry("differences", 0L)
			.containsEntry("exitCode", 0L);
		KeyspaceComparison.assertSameContent(source, target);

		// the text summary shows the copy, then the verify
		CliRun text = copy(source, target, "--verify").assertExitCode(ExitCode.OK);
		assertThat(text.out()).containsPattern("(?s)COMPLETED  execution \\d+  run #2.*"
				+ "COMPLETED  verify execution \\d+  run #2: target matches the source");
	}

	@Test
	void keyTheCopyDoesNotWriteIsReportedWithExitCode4(RedisServer source, RedisServer target) {
		TestData.keys(200).loadInto(source);
		source.sync().set("config:mode", "production");
		// a writer of the target's own: under --on-conflict skip the copy keeps it
		target.sync().set("config:mode", "staging");

		CliRun run = copy(source, target, "--verify", "--on-conflict", "skip", "--json");

		assertSkippedKeyFoundDifferent(run, 200);
		assertThat(target.sync().get("config:mode")).isEqualTo("staging");

		// copied again under replace, the verify finds the target equal
		copy(source, target, "--verify").assertExitCode(ExitCode.OK);
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void everyDatabaseIsVerifiedAndTheCopyEndsWithTheVerifysExitCode(RedisServer source, RedisServer target) {
		// a writer of the target's own, in database 3 only: under --on-conflict skip the
		// copy keeps it
		Databases.loadWithTargetValue(source, target, 3);

		CliRun run = copy(source, target, "--all-databases", "--verify", "--on-conflict", "skip", "--json");

		assertSkippedKeyFoundDifferent(run, 150);

		// copied again under replace, the verify finds every database equal
		copy(source, target, "--all-databases", "--verify").assertExitCode(ExitCode.OK);
		Databases.assertSameDatabases(source, target, 0, 3);
		assertThat(Databases.of(target)).containsExactly("db0", "db3");
	}

	/**
	 * Checks the JSON summary of a copy under skip that kept one key of the target's own,
	 * and of its verify, which found that key's value different (exit 4).
	 * @param written the keys the copy wrote (the verify checks one more)
	 */
	private static void assertSkippedKeyFoundDifferent(CliRun run, long written) {
		run.assertExitCode(ExitCode.DIFFERENT);
		Map<String, Object> summary = JsonDocument.object(run.out());
		assertThat(summary).containsEntry("status", "COMPLETED")
			.containsEntry("written", written)
			.containsEntry("skippedTotal", 1L)
			.containsEntry("exitCode", (long) ExitCode.DIFFERENT);
		assertThat(JsonDocument.asObject(summary.get("verify"))).containsEntry("status", "COMPLETED")
			.containsEntry("checked", written + 1)
			.containsEntry("differentValue", 1L)
			.containsEntry("differences", 1L)
			.containsEntry("exitCode", (long) ExitCode.DIFFERENT);
	}

	@Test
	void aVerifyThatCannotRunSaysTheCopyCompleted(RedisServer source, RedisServer target) {
		TestData.keys(100).loadInto(source);
		// exactly the copy's commands (README, Permissions): too few to verify with
		target.sync()
			.dispatch(CommandType.ACL, new StatusOutput<>(StringCodec.UTF8),
					new CommandArgs<>(StringCodec.UTF8).add("SETUSER")
						.add("kf-copy")
						.add("on")
						.add(">pw")
						.add("~*")
						.add("+info")
						.add("+time")
						.add("+restore"));
		CliRun run = CliRun.execute("copy", "--home", this.home.toString(), "--source", source.uri(), "--target",
				"redis://kf-copy:pw@127.0.0.1:" + target.port(), "--verify", "--progress", "off");

		run.assertExitCode(ExitCode.USAGE).assertErrorWithHint();
		assertThat(run.errorLine()).startsWith("error: copy execution ")
			.contains(" completed, but its verify could not run: ");
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void optionsThatCannotBeVerifiedAreUsageErrors(RedisServer source, RedisServer target) {
		source.sync().set("k", "v");
		copy(source, target, "--verify", "--dry-run", "--json").assertExitCode(ExitCode.USAGE).assertJsonError();
		assertThat(target.sync().dbsize()).isZero();
		copy(source, target).assertExitCode(ExitCode.OK);
		KeyspaceComparison.assertSameContent(source, target);
	}

	private CliRun copy(RedisServer source, RedisServer target, String... options) {
		List<String> args = new ArrayList<>(List.of("copy", "--home", this.home.toString(), "--source", source.uri(),
				"--target", target.uri(), "--progress", "off"));
		args.addAll(List.of(options));
		return CliRun.execute(args.toArray(String[]::new));
	}

}
