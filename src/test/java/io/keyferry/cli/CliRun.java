package io.keyferry.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.JsonDocument;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One in-process run of the keyferry command line ({@link KeyferryCommand#execute} with
 * {@code mainProcess} false, so no signal handlers), with its exit code and what it
 * printed on stdout and stderr. Immutable.
 *
 * @param exitCode the exit code
 * @param out what was printed on stdout
 * @param err what was printed on stderr
 */
record CliRun(int exitCode, String out, String err) {

	/**
	 * Runs a command line.
	 * @param args the arguments
	 * @return the run
	 */
	static CliRun execute(String... args) {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		ByteArrayOutputStream err = new ByteArrayOutputStream();
		int exitCode;
		try (PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
				PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
			exitCode = KeyferryCommand.execute(false, outStream, errStream, args);
		}
		return new CliRun(exitCode, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
	}

	/**
	 * Runs {@code keyferry copy --json --progress off} with its own home.
	 * @param home the keyferry home
	 * @param source the source URI
	 * @param target the target URI
	 * @param options further options
	 * @return the run
	 */
	static CliRun copy(Path home, String source, String target, String... options) {
		List<String> args = new ArrayList<>(List.of("copy", "--home", home.toString(), "--source", source, "--target",
				target, "--json", "--progress", "off"));
		args.addAll(List.of(options));
		return execute(args.toArray(String[]::new));
	}

	/**
	 * The differences {@code keyferry show --json --differences all} lists for a verify
	 * execution.
	 * @param home the keyferry home
	 * @param executionId the execution
	 * @return each difference: {@code key}, {@code kind}, {@code detail}, {@code pass}
	 */
	static List<Map<String, Object>> differences(Path home, long executionId) {
		Map<String, Object> shown = JsonDocument.object(execute("show", "--home", home.toString(), "--json",
				"--differences", "all", String.valueOf(executionId))
			.assertExitCode(ExitCode.OK)
			.out());
		return ((List<?>) shown.get("differenceKeys")).stream().map(JsonDocument::asObject).toList();
	}

	/**
	 * Runs {@code keyferry resume --json --progress off} with its own home.
	 * @param home the keyferry home
	 * @param args the execution id and options, if any
	 * @return the run
	 */
	static CliRun resume(Path home, String... args) {
		List<String> all = new ArrayList<>(List.of("resume", "--home", home.toString(), "--json", "--progress", "off"));
		all.addAll(List.of(args));
		return execute(all.toArray(String[]::new));
	}

	/**
	 * The {@code --json} summary: stdout must be exactly one JSON object.
	 * @return the summary
	 */
	CopySummary summary() {
		assertThat(this.out.strip().lines()).as("stdout of a --json run (stderr: %s)", this.err)
			.singleElement()
			.asString()
			.startsWith("{");
		return CopySummary.parse(this.out, this::toString);
	}

	/**
	 * Asserts that every key read has exactly one end: read = written + filtered +
	 * skipped by reason (every reason listed), and returns the summary.
	 * @return the summary
	 */
	CopySummary balancedSummary() {
		CopySummary summary = summary();
		assertThat(summary.skipped()).as("skip reasons in %s", summary)
			.containsOnlyKeys("exists", "rejected", "tooLarge", "other");
		return summary.assertCountsAddUp();
	}

	/**
	 * Asserts that the run ended with the given exit code, showing its output otherwise.
	 * @param expected the exit code
	 * @return this run
	 */
	CliRun assertExitCode(int expected) {
		assertThat(this.exitCode).as("exit code; stdout:%n%s%nstderr:%n%s", this.out, this.err).isEqualTo(expected);
		return this;
	}

	/**
	 * Asserts that a failure was reported as one {@code error:} line and one
	 * {@code hint:} line on stderr, without a stack trace.
	 * @return this run
	 */
	CliRun assertErrorWithHint() {
		List<String> errors = this.err.lines().filter((line) -> line.startsWith("error: ")).toList();
		List<String> hints = this.err.lines().filter((line) -> line.startsWith("hint: ")).toList();
		assertThat(errors).as("error lines in stderr:%n%s", this.err).hasSize(1);
		assertThat(hints).as("hint lines in stderr:%n%s", this.err).hasSize(1);
		assertNoStackTrace();
		return this;
	}

	/**
	 * Asserts that a command run with {@code --json} reported its failure as exactly one
	 * JSON object on stdout, {@code {"status":"ERROR","exitCode":…,"error":…,"hint":…}},
	 * saying what the {@code error:} and {@code hint:} lines on stderr say.
	 * @return this run
	 */
	CliRun assertJsonError() {
		assertErrorWithHint();
		assertThat(this.out.strip().lines()).as("stdout of a --json run that failed (%s)", this).singleElement();
		Map<String, Object> error = JsonDocument.object(this.out);
		assertThat(error).as("JSON error of %s", this)
			.containsOnlyKeys("status", "exitCode", "error", "hint")
			.containsEntry("status", "ERROR")
			.containsEntry("exitCode", (long) this.exitCode);
		assertThat(errorLine()).isEqualTo("error: " + error.get("error"));
		assertThat(hintLine()).isEqualTo("hint: " + error.get("hint"));
		return this;
	}

	CliRun assertNoStackTrace() {
		assertThat(this.err).as("stderr").doesNotContainPattern("(?m)^\\s+at [\\w$.]+\\(").doesNotContain("Caused by:");
		assertThat(this.out).as("stdout").doesNotContainPattern("(?m)^\\s+at [\\w$.]+\\(").doesNotContain("Caused by:");
		return this;
	}

	@Override
	public String toString() {
		return "exit code " + this.exitCode + "\nstdout:\n" + this.out + "\nstderr:\n" + this.err;
	}

	String errorLine() {
		return this.err.lines().filter((line) -> line.startsWith("error: ")).findFirst().orElse("");
	}

	String hintLine() {
		return this.err.lines().filter((line) -> line.startsWith("hint: ")).findFirst().orElse("");
	}

}
