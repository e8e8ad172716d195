package io.keyferry.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.keyferry.testsupport.JsonDocument;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How the commands report an error that ends them before or without an execution, without
 * servers: with {@code --json} stdout holds exactly one JSON object with the status, the
 * exit code, the error and the hint (and stderr the usual {@code error:} and
 * {@code hint:} lines); without it stdout stays empty. The commands that only read or
 * resume runs refuse a home that holds no job repository instead of creating one.
 */
class ErrorOutputTests {

	/** A loopback port nothing listens on. */
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
	void copyUsageErrorWithJsonPrintsOneJsonObject() {
		CliRun run = CliRun.execute("copy", "--home", this.home.toString(), "--json", "--source", "http://h:1",
				"--target", unused);

		Map<String, Object> error = jsonError(run, ExitCode.USAGE);
		assertThat(error.get("error")).isEqualTo(
				"invalid source URI: the scheme must be redis://, rediss://, redis-sentinel:// or rediss-sentinel://");
		assertThat((String) error.get("hint")).contains("redis://[user[:password]@]host:port[/db]");
		assertThat(run.errorLine()).isEqualTo("error: " + error.get("error"));
	}

	@ParameterizedTest
	@ValueSource(strings = { "before", "after" })
	void optionParsingErrorWithJsonPrintsOneJsonObjectWhereverJsonIs(String where) {
		CliRun run = ("before".equals(where))
				? CliRun.execute("copy", "--home", this.home.toString(), "--json", "--chunk-size", "many")
				: CliRun.execute("copy", "--home", this.home.toString(), "--chunk-size", "many", "--json");

		Map<String, Object> error = jsonError(run, ExitCode.USAGE);
		assertThat((String) error.get("error")).contains("--chunk-size").contains("many");
		assertThat(error.get("hint")).isEqualTo("see 'keyferry copy --help'");
	}

	@Test
	void unreachableServerWithJsonPrintsOneJsonObject() {
		CliRun run = CliRun.execute("copy", "--home", this.home.toString(), "--json", "--progress", "off", "--source",
				unused, "--target", unused + "/1");

		Map<String, Object> error = jsonError(run, ExitCode.USAGE);
		assertThat((String) error.get("error")).contains(unused.substring("redis://".length()));
		assertThat(error.get("hint")).isNotNull();
	}

	@Test
	void historyShowAndResumeErrorsWithJsonPrintOneJsonObject() {
		jsonError(CliRun.execute("history", "--home", this.home.toString(), "--json", "--limit", "0"), ExitCode.USAGE);
		jsonError(CliRun.execute("history", "--home", this.home.toString(), "--json", "--status", "GONE"),
				ExitCode.USAGE);
		jsonError(CliRun.execute("show", "--home", this.home.toString(), "--json", "7", "--skipped", "some"),
				ExitCode.USAGE);
		jsonError(CliRun.execute("show", "--home", this.home.toString(), "--json"), ExitCode.USAGE);
		jsonError(CliRun.execute("resume", "--home", this.home.toString(), "--json", "--source", "redis://h/x"),
				ExitCode.USAGE);
	}

	@Test
	void withoutJsonStdoutStaysEmpty() {
		CliRun run = CliRun.execute("copy", "--home", this.home.toString(), "--source", "http://h:1", "--target",
				unused);

		run.assertExitCode(ExitCode.USAGE).assertErrorWithHint();
		assertThat(run.out()).isEmpty();
	}

	@ParameterizedTest
	@ValueSource(strings = { "history", "show 1", "stop", "prune --older-than 1d", "resume" })
	void readingCommandsRefuseAHomeWithoutARepositoryAndCreateNothing(String command) {
		Path mistyped = this.home.resolve("no-such-home");
		String[] words = command.split(" ");
		String[] args = new String[words.length + 2];
		args[0] = words[0];
		args[1] = "--home";
		args[2] = mistyped.toString();
		System.arraycopy(words, 1, args, 3, words.length - 1);

		CliRun run = CliRun.execute(args);

		run.assertExitCode(ExitCode.USAGE).assertErrorWithHint();
		assertThat(run.errorLine()).isEqualTo("error: there is no keyferry job repository in " + mistyped);
		assertThat(run.hintLine()).contains("--home", "KEYFERRY_HOME", "keyferry copy");
		assertThat(run.out()).isEmpty();
		assertThat(mistyped).doesNotExist();
	}

	@Test
	void aHomeThatExistsButHoldsNoRepositoryIsRefusedToo() throws IOException {
		Files.createDirectories(this.home.resolve("logs"));

		CliRun run = CliRun.execute("history", "--home", this.home.toString(), "--json");

		Map<String, Object> error = jsonError(run, ExitCode.USAGE);
		assertThat(error.get("error")).isEqualTo("there is no keyferry job repository in " + this.home);
		assertThat(this.home.resolve("repository")).doesNotExist();
	}

	/**
	 * Asserts the exit code, that stdout is exactly one JSON object saying so, and the
	 * error and hint lines on stderr.
	 */
	private static Map<String, Object> jsonError(CliRun run, int exitCode) {
		run.assertExitCode(exitCode).assertJsonError();
		return JsonDocument.object(run.out());
	}

}
