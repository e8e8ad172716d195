package io.keyferry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import io.keyferry.testsupport.CopySummary;
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
 * The launcher {@code scripts/keyferry}: the JVM settings keyferry is measured with (a
 * 512 MB heap ceiling, the serial collector, C1 only), how to change them, its errors,
 * its class-data archive (recorded by the first copy, checked, used afterwards, recorded
 * again when broken, and optional), that the copier it starts is the process itself (so
 * signals reach it), and that a source holding values of 100 MB copies within the default
 * heap.
 */
@ExtendWith(RedisServerExtension.class)
class LauncherJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(180);

	private static final int EXIT_STOPPED = 3;

	@TempDir
	Path home;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@Test
	void runsTheJarWithABoundedHeapTheSerialCollectorAndC1() {
		KeyferryProcess process = this.processes
			.start(launcher().env("KEYFERRY_JAVA_OPTS", "-XX:+PrintCommandLineFlags"), "--version");
		assertThat(process.waitFor(RUN_TIMEOUT)).as(process::describe).isZero();
		assertThat(process.stdout()).as(process::describe)
			.contains("-XX:MaxHeapSize=536870912", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
			.contains("keyferry ");
	}

	@Test
	void theHeapAndTheCollectorCanBeChanged() {
		KeyferryProcess process = this.processes.start(launcher().env("KEYFERRY_HEAP", "1g")
			.env("KEYFERRY_JAVA_OPTS", "-XX:+UseParallelGC -XX:+PrintCommandLineFlags"), "--version");
		assertThat(process.waitFor(RUN_TIMEOUT)).as(process::describe).isZero();
		assertThat(process.stdout()).as(process::describe)
			.contains("-XX:MaxHeapSize=1073741824", "-XX:+UseParallelGC")
			.doesNotContain("UseSerialGC");
	}

	@Test
	void anInvalidHeapIsAUsageErrorWithAHint() {
		KeyferryProcess process = this.processes.start(launcher().env("KEYFERRY_HEAP", "lots"), "--version");
		assertThat(process.waitFor(RUN_TIMEOUT)).as(process::describe).isEqualTo(2);
		assertThat(process.stdout()).isEmpty();
		assertThat(process.stderr().lines().toList()).as(process::describe)
			.containsExactly("error: KEYFERRY_HEAP must be a size such as 512m or 2g, got 'lots'",
					"hint: unset it for the default (512m)");
	}

	@Test
	void aMissingJarIsAUsageErrorWithAHint() {
		Path missing = this.home.resolve("no-such.jar");
		KeyferryProcess process = this.processes.start(launcher().env("KEYFERRY_JAR", missing.toString()), "--version");
		assertThat(process.waitFor(RUN_TIMEOUT)).as(process::describe).isEqualTo(2);
		assertThat(process.stderr().lines().toList()).as(process::describe)
			.containsExactly("error: " + missing + " does not exist",
					"hint: point KEYFERRY_JAR at keyferry.jar, or unset it to use target/keyferry.jar");
	}

	@Test
	void theCopierIsTheLaunchedProcessSoSigtermStopsItAndResumeFinishes(RedisServer source, RedisServer target) {
		TestData.keys(6000).loadInto(source);
		long total = source.sync().dbsize();

		KeyferryProcess copy = this.processes.start(launcher(), "copy", "--source", source.uri(), "--target",
				target.uri(), "--json", "--chunk-size", "100", "--scan-count", "100", "--rate-limit", "2000",
				"--progress", "plain", "--progress-interval", "1s");
		copy.awaitStderr(RUN_TIMEOUT, "progress ");
		// exec: the process started is the JVM itself, not a shell waiting for it
		ProcessHandle.Info info = ProcessHandle.of(copy.pid()).orElseThrow().info();
		assertThat(info.command()).as("command of pid %d", copy.pid())
			.hasValueSatisfying((command) -> assertThat(command).endsWith("/java"));
		assertThat(info.arguments()).hasValueSatisfying((args) -> assertThat(args).contains("-Xmx512m", "-jar"));

		copy.terminate();
		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(EXIT_STOPPED);
		CopySummary first = copy.summary().assertCountsAddUp();
		assertThat(first.status()).isEqualTo("STOPPED");
		assertThat(first.read()).isPositive().isLessThan(total);

		KeyferryProcess resumed = this.processes.start(launcher(), "resume", "--json", "--progress", "off");
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isZero();
		CopySummary second = resumed.summary().assertCountsAddUp();
		assertThat(second.status()).isEqualTo("COMPLETED");
		assertThat(second.runId()).isEqualTo(first.runId());
		assertThat(first.written() + second.written()).isGreaterThanOrEqualTo(total);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void copiesValuesOfAHundredMegabytesWithinTheDefaultHeap(RedisServer source, RedisServer target) {
		int valueBytes = 100 * 1024 * 1024;
		Random random = new Random(11);
		byte[] value = new byte[valueBytes];
		random.nextBytes(value);
		for (int i = 0; i < 3; i++) {
			value[0] = (byte) i; // three different values
			source.binarySync().set(("big:" + i).getBytes(StandardCharsets.UTF_8), value);
		}
		for (int i = 0; i < 200; i++) {
			source.sync().set("small:" + i, "v" + i);
		}

		KeyferryProcess copy = this.processes.start(launcher(), "copy", "--source", source.uri(), "--target",
				target.uri(), "--json", "--progress", "off");
		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isZero();
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.written()).isEqualTo(203);
		assertThat(summary.bytes()).isGreaterThan(3L * valueBytes);
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void recordsAClassDataArchiveOnceAndStartsFromItAfterwards(RedisServer source, RedisServer target)
			throws IOException {
		TestData.keys(500).loadInto(source);
		Path cache = this.home.resolve("launcher-cache");

		KeyferryProcess first = this.processes.start(launcher(), copy(source, target));
		assertThat(first.waitFor(RUN_TIMEOUT)).as(first::describe).isZero();
		// stdout is the summary alone: the JVM's notes on archiving stay out of it
		assertThat(first.summary().assertCountsAddUp().status()).isEqualTo("COMPLETED");
		Path entry = onlyEntry(cache);
		assertThat(entry.resolve("app").resolve("keyferry.jar")).isRegularFile();
		assertThat(entry.resolve("keyferry.jsa." + first.pid())).as("the first copy's recording").isRegularFile();

		Path classLog = this.home.resolve("classes.log");
		KeyferryProcess second = this.processes.start(
				launcher().env("KEYFERRY_JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog.toString()),
				copy(source, target));
		assertThat(second.waitFor(RUN_TIMEOUT)).as(second::describe).isZero();
		assertThat(second.summary().assertCountsAddUp().status()).isEqualTo("COMPLETED");
		assertThat(entry.resolve("keyferry.jsa")).as("the recording, checked and kept").isRegularFile();
		try (Stream<Path> files = Files.list(entry)) {
			assertThat(files.map((file) -> file.getFileName().toString())).containsExactlyInAnyOrder("app",
					"keyferry.jsa");
		}
		assertThat(Files.readAllLines(classLog)).as("where the second copy's own classes came from")
			.anySatisfy((line) -> assertThat(line).contains("io.keyferry.run.CopyLauncher source: shared objects file"))
			.anySatisfy((line) -> assertThat(line).contains("io.lettuce.core.RedisClient source: shared objects file"));
	}

	@Test
	void aBrokenRecordingIsDiscardedAndRecordedAgain(RedisServer source, RedisServer target) throws IOException {
		TestData.keys(200).loadInto(source);
		Path cache = this.home.resolve("launcher-cache");
		KeyferryProcess version = this.processes.start(launcher(), "--version");
		assertThat(version.waitFor(RUN_TIMEOUT)).as(version::describe).isZero();
		Path entry = onlyEntry(cache);
		// what a copy killed while writing its recording leaves (pid 1 is never a copy)
		Path broken = entry.resolve("keyferry.jsa.1");
		Files.write(broken, new byte[4096]);

		KeyferryProcess copy = this.processes.start(launcher(), copy(source, target));
		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isZero();
		assertThat(copy.summary().assertCountsAddUp().status()).isEqualTo("COMPLETED");
		assertThat(broken).as("pid 1 still runs: its recording is left alone").exists();

		Files.delete(broken);
		Path deadPid = entry.resolve("keyferry.jsa." + Integer.MAX_VALUE);
		Files.write(deadPid, new byte[4096]);
		Files.deleteIfExists(entry.resolve("keyferry.jsa." + copy.pid()));
		KeyferryProcess again = this.processes.start(launcher(), copy(source, target));
		assertThat(again.waitFor(RUN_TIMEOUT)).as(again::describe).isZero();
		assertThat(again.summary().assertCountsAddUp().status()).isEqualTo("COMPLETED");
		assertThat(deadPid).as("a finished recording that the JVM refuses").doesNotExist();
		assertThat(entry.resolve("keyferry.jsa")).doesNotExist();
		assertThat(entry.resolve("keyferry.jsa." + again.pid())).as("recorded again").isRegularFile();
	}

	@Test
	void optionsThatTurnSharingOffRunWithoutTheArchive(RedisServer source, RedisServer target) {
		TestData.keys(200).loadInto(source);
		// recording an archive needs sharing on: the launcher must not ask for one
		KeyferryProcess copy = this.processes.start(launcher().env("KEYFERRY_JAVA_OPTS", "-Xshare:off"),
				copy(source, target));
		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isZero();
		assertThat(copy.summary().assertCountsAddUp().status()).isEqualTo("COMPLETED");
		assertThat(this.home.resolve("launcher-cache")).doesNotExist();
	}

	@Test
	void classDataSharingCanBeTurnedOff() {
		Path cache = this.home.resolve("launcher-cache");
		KeyferryProcess process = this.processes.start(launcher().env("KEYFERRY_CDS", "off"), "--version");
		assertThat(process.waitFor(RUN_TIMEOUT)).as(process::describe).isZero();
		assertThat(process.stdout()).startsWith("keyferry ");
		assertThat(cache).doesNotExist();
	}

	private static String[] copy(RedisServer source, RedisServer target) {
		return new String[] { "copy", "--source", source.uri(), "--target", target.uri(), "--json", "--progress",
				"off" };
	}

	private static Path onlyEntry(Path cache) throws IOException {
		try (Stream<Path> entries = Files.list(cache)) {
			List<Path> all = entries.toList();
			assertThat(all).as("entries of %s", cache).hasSize(1);
			assertThat(all.get(0).getFileName().toString()).startsWith("cds-");
			return all.get(0);
		}
	}

	private KeyferryProcess.Builder launcher() {
		return KeyferryProcess.in(this.home).viaLauncher();
	}

}
