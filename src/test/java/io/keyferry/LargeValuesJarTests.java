package io.keyferry;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;

import io.keyferry.cli.ExitCode;
import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bounded memory for big values (invariant 9): the packaged jar, on a 256 MB heap, copies
 * a source holding values of 60 MB each, because a chunk keeps at most
 * {@code --chunk-bytes} of payloads and writes larger values one at a time. The same copy
 * with the budget effectively off runs out of memory, so the budget is what makes it fit.
 * (Values larger than the heap are out of reach today: a value is still read whole.)
 */
@ExtendWith(RedisServerExtension.class)
class LargeValuesJarTests {

	private static final int VALUE_BYTES = 60 * 1024 * 1024;

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);

	@TempDir
	Path home;

	@Test
	void copiesValuesLargerThanTheChunkBudgetOnASmallHeap(RedisServer source, RedisServer target) {
		loadLargeValues(source);
		source.binarySync().pexpire("big:1".getBytes(StandardCharsets.UTF_8), Duration.ofHours(1).toMillis());
		for (int i = 0; i < 500; i++) {
			source.sync().set("small:" + i, "v" + i);
		}

		try (KeyferryProcess process = KeyferryProcess.in(this.home)
			.start("copy", "--source", source.uri(), "--target", target.uri(), "--json", "--progress", "off")) {
			assertThat(process.waitFor(RUN_TIMEOUT)).as(process::describe).isZero();
			CopySummary summary = process.summary().assertCountsAddUp();
			assertThat(summary.written()).isEqualTo(503);
			assertThat(summary.bytes()).isGreaterThan(3L * VALUE_BYTES);
		}
		KeyspaceComparison.assertSameContent(source, target);
	}

	/**
	 * Without the budget the chunk's three values and their replies do not fit the heap:
	 * the run fails as documented for a failure (exit 1, one {@code error:} line naming
	 * the {@code OutOfMemoryError}, a resumable run, nothing written, since a chunk is
	 * written only once all its values were read), and the same command with the default
	 * budget resumes that run and copies every value.
	 */
	@Test
	void withoutTheBudgetTheSameCopyRunsOutOfMemoryAndResumesWithIt(RedisServer source, RedisServer target) {
		loadLargeValues(source);
		CopySummary failed;
		try (KeyferryProcess process = KeyferryProcess.in(this.home)
			.start("copy", "--source", source.uri(), "--target", target.uri(), "--json", "--progress", "off",
					"--chunk-bytes", Long.toString(1L << 30))) {
			assertThat(process.waitFor(RUN_TIMEOUT)).as(process::describe).isEqualTo(ExitCode.FAILED);
			failed = process.summary().assertCountsAddUp();
			assertThat(failed.status()).isEqualTo("FAILED");
			assertThat(failed.error()).as(process::describe).startsWith("OutOfMemoryError: ");
			assertThat(failed.written()).isZero();
			assertThat(process.stderr()).as(process::describe)
				.contains("error: OutOfMemoryError: ")
				.contains("hint: the run is resumable");
		}
		assertThat(target.sync().dbsize()).as("keys in the target").isZero();

		try (KeyferryProcess process = KeyferryProcess.in(this.home)
			.start("copy", "--source", source.uri(), "--target", target.uri(), "--json", "--progress", "off")) {
			assertThat(process.waitFor(RUN_TIMEOUT)).as(process::describe).isEqualTo(ExitCode.OK);
			CopySummary resumed = process.summary().assertCountsAddUp();
			assertThat(resumed.runId()).as("the failed run, resumed").isEqualTo(failed.runId());
			assertThat(resumed.written()).isEqualTo(3);
		}
		KeyspaceComparison.assertSameContent(source, target);
	}

	private static void loadLargeValues(RedisServer source) {
		Random random = new Random(7);
		for (int i = 0; i < 3; i++) {
			byte[] value = new byte[VALUE_BYTES];
			random.nextBytes(value);
			source.binarySync().set(("big:" + i).getBytes(StandardCharsets.UTF_8), value);
		}
	}

}
