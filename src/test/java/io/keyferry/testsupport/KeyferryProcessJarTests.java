package io.keyferry.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link KeyferryProcess}: commands that end before Spring starts, so they are
 * quick.
 */
class KeyferryProcessJarTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(60);

	@TempDir
	Path home;

	@Test
	void capturesStdoutAndTheExitCode() {
		try (KeyferryProcess process = KeyferryProcess.in(this.home).start("--version")) {
			assertThat(process.waitFor(TIMEOUT)).as(process::describe).isZero();
			assertThat(process.stdout()).startsWith("keyferry ");
			assertThat(process.stderr()).isEmpty();
			assertThat(process.isAlive()).isFalse();
		}
	}

	@Test
	void runsTheExtractedJarWithItsClassDataArchiveOrTheJarItself() throws IOException {
		String main = "io.keyferry.cli.KeyferryApplication source: ";
		assertThat(loadedClasses(KeyferryProcess.in(this.home), "extracted.log"))
			.anySatisfy((line) -> assertThat(line).contains(main + "shared objects file"));
		assertThat(loadedClasses(KeyferryProcess.in(this.home).fatJar(), "fat.log"))
			.anySatisfy((line) -> assertThat(line).contains(main).doesNotContain(main + "shared objects file"));
	}

	/** The class-loading log of {@code keyferry --version}. */
	private List<String> loadedClasses(KeyferryProcess.Builder builder, String name) throws IOException {
		Path log = this.home.resolve(name);
		try (KeyferryProcess process = builder.env("JAVA_TOOL_OPTIONS", "-Xlog:class+load=info:file=" + log)
			.start("--version")) {
			assertThat(process.waitFor(TIMEOUT)).as(process::describe).isZero();
			assertThat(process.stdout()).startsWith("keyferry ");
		}
		return Files.readAllLines(log);
	}

	@Test
	void capturesStderrOfAUsageError() {
		try (KeyferryProcess process = KeyferryProcess.in(this.home)
			.env("KEYFERRY_SOURCE_PASSWORD", "unused")
			.start("copy", "--source", "redis://127.0.0.1:1", "--target", "redis://127.0.0.1:2", "--chunk-size", "0")) {
			assertThat(process.waitFor(TIMEOUT)).as(process::describe).isEqualTo(2);
			assertThat(process.stderr()).contains("error: --chunk-size must be at least 1, not 0");
			assertThat(process.stdout()).isEmpty();
			assertThat(process.describe()).contains("copy --source redis://127.0.0.1:1", "exit code 2");
		}
	}

}
