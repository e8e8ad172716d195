package io.keyferry.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests of {@code keyferry copy} and {@code keyferry resume} option validation, without
 * servers: each bad input exits 2 with one {@code error:} line and one {@code hint:}
 * line, and fails before Spring starts (no job repository is created, no server is
 * contacted).
 */
class CopyCommandTests {

	/** A loopback port nothing listens on: a run that got as far as connecting fails. */
	private static String unused;

	@TempDir
	Path home;

	@BeforeAll
	static void findUnusedPort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			unused = "redis://127.0.0.1:" + socket.getLocalPort();
		}
	}

	@Test
	void invalidSourceUriIsAUsageError() {
		CliRun run = copy("--source", "http://127.0.0.1:6379", "--target", unused);

		assertRejectedBeforeStart(run);
		assertThat(run.errorLine()).isEqualTo(
				"error: invalid source URI: the scheme must be redis://, rediss://, redis-sentinel:// or rediss-sentinel://");
		assertThat(run.hintLine()).contains("redis://[user[:password]@]host:port[/db]");
	}

	@Test
	void invalidTargetUriIsAUsageErrorWithoutItsPassword() {
		CliRun run = copy("--source", unused, "--target", "redis://app:pw-in-a-bad-uri@127.0.0.1:6379/db");

		assertRejectedBeforeStart(run);
		assertThat(run.errorLine()).startsWith("error: invalid target URI");
		assertThat(run.err()).doesNotContain("pw-in-a-bad-uri");
	}

	@Test
	void unknownConflictPolicyIsAUsageError() {
		CliRun run = copy("--source", unused, "--target", unused, "--on-conflict", "overwrite");

		assertRejectedBeforeStart(run);
		assertThat(run.errorLine()).isEqualTo("error: invalid --on-conflict 'overwrite'");
		assertThat(run.hintLine()).isEqualTo("hint: use replace, skip or fail");
	}

	@Test
	void unknownReadFromIsAUsageError() {
		CliRun run = copy("--source", unused, "--target", unused, "--read-from", "slave");

		assertRejectedBeforeStart(run);
		assertThat(run.errorLine()).isEqualTo("error: invalid --read-from 'slave'");
		assertThat(run.hintLine()).isEqualTo("hint: use master or replica");
	}

	@Test
	void unknownTypeIsAUsageError() {
		CliRun run = copy("--source", unused, "--target", unused, "--type", "json");

		assertRejectedBeforeStart(run);
		assertThat(run.errorLine()).isEqualTo("error: invalid --type 'json'");
		assertThat(run.hintLine()).contains("string, list, set, zset, hash, stream");
	}

	@Test
	void zeroChunkSizeIsAUsageError() {
		CliRun run = copy("--source", unused, "--target", unused, "--chunk-size", "0");

		assertRejectedBeforeStart(run);
		assertThat(run.errorLine()).isEqualTo("error: --chunk-size must be at least 1, not 0");
		assertThat(run.hintLine()).contains("keyferry copy --help");
	}

	@Test
	void otherOutOfRangeNumbersAreUsageErrors() {
		assertRejectedBeforeStart(copy("--source", unused, "--target", unused, "--threads", "0"));
		assertRejectedBeforeStart(copy("--source", unused, "--target", unused, "--scan-count", "-5"));
		assertRejectedBeforeStart(copy("--source", unused, "--target", unused, "--retries", "-1"));
		assertRejectedBeforeStart(copy("--source", unused, "--target", unused, "--rate-limit", "-1"));
		assertRejectedBeforeStart(copy("--source", unused, "--target", unused, "--timeout", "0s"));
		assertRejectedBeforeStart(copy("--source", unused, "--target", unused, "--match", ""));
	}

	@Test
	void unknownOptionIsAUsageError() {
		CliRun run = copy("--source", unused, "--target", unused, "--bogus");

		assertRejectedBeforeStart(run);
		assertThat(run.errorLine()).contains("Unknown option").contains("--bogus");
		assertThat(run.hintLine()).isEqualTo("hint: see 'keyferry copy --help'");
	}

	@Test
	void missingTargetIsAUsageError() {
		CliRun run = copy("--source", unused);

		assertRejectedBeforeStart(run);
		assertThat(run.errorLine()).contains("--target");
	}

	@Test
	void malformedDurationIsAUsageError() {
		CliRun run = copy("--source", unused, "--target", unused, "--retry-backoff", "soon");

		assertRejectedBeforeStart(run);
		assertThat(run.errorLine()).contains("'soon' is not a duration");
	}

	@Test
	void unknownProgressModeIsAUsageError() {
		CliRun run = copy("--source", unused, "--target", unused, "--progress", "loud");

		assertRejectedBeforeStart(run);
		assertThat(run.errorLine()).isEqualTo("error: invalid --progress 'loud'");
	}

	@Test
	void resumeWithInvalidUriIsAUsageError() {
		CliRun run = CliRun.execute("resume", "--home", this.home.toString(), "--source", "redis://h:1/x");

		assertRejectedBeforeStart(run);
		assertThat(run.errorLine()).startsWith("error: invalid source URI");
	}

	@Test
	void resumeWithNonNumericExecutionIdIsAUsageError() {
		CliRun run = CliRun.execute("resume", "--home", this.home.toString(), "latest");

		assertRejectedBeforeStart(run);
		assertThat(run.hintLine()).isEqualTo("hint: see 'keyferry resume --help'");
	}

	private CliRun copy(String... options) {
		String[] args = new String[options.length + 3];
		args[0] = "copy";
		args[1] = "--home";
		args[2] = this.home.toString();
		System.arraycopy(options, 0, args, 3, options.length);
		return CliRun.execute(args);
	}

	private void assertRejectedBeforeStart(CliRun run) {
		run.assertExitCode(ExitCode.USAGE).assertErrorWithHint();
		assertThat(run.out()).as("stdout").isEmpty();
		assertThat(run.err().lines()).as("stderr").hasSize(2);
		assertThat(Files.exists(this.home.resolve("repository"))).as("job repository created").isFalse();
		assertThat(Files.exists(this.home.resolve("logs"))).as("log directory created").isFalse();
	}

}
