package io.keyferry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.FallbackData;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyferryProcesses;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.keyferry.testsupport.RepositoryProbe;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar writing keys type by type (the fallback for payloads the target cannot
 * RESTORE) killed with SIGKILL mid-run, then resumed: nothing is lost, streams keep their
 * consumer groups and pending entries, expiry times are kept, and no temporary key of a
 * value copied in pieces is left behind. Every test ends with a full comparison.
 */
@ExtendWith(RedisServerExtension.class)
class FallbackJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofMinutes(2);

	private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(60);

	/**
	 * A Redis 6.2 target has no PEXPIRETIME: the comparison counts its PTTLs from when a
	 * batch was sent.
	 */
	private static final Duration OLD_TARGET_TTL_TOLERANCE = KeyspaceComparison.LOOSE_TTL_TOLERANCE;

	@TempDir
	Path home;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@Test
	void killedCopyToAnOlderTargetResumesWithNothingLost(RedisServer source,
			@RedisServerOptions(old = true) RedisServer target) {
		assertThat(target.version()).startsWith("6.2.");
		List<byte[]> keys = load(source);

		killAfterThreeChunks(copy(source, target, "--rate-limit", "400"), target, keys);

		assertResumedInFull(start("resume", "--json", "--progress", "off"), "olderTarget", target);
		KeyspaceComparison.assertSameContent(source, target, OLD_TARGET_TTL_TOLERANCE);
	}

	@Test
	void killedTypeByTypeCopyResumesWithNothingLost(RedisServer source, RedisServer target) {
		List<byte[]> keys = load(source);

		killAfterThreeChunks(copy(source, target, "--write-mode", "types", "--rate-limit", "400"), target, keys);

		// the same command resumes the run
		assertResumedInFull(start(copy(source, target, "--write-mode", "types", "--rate-limit", "0")), "writeMode",
				target);
		KeyspaceComparison.assertSameContent(source, target);
	}

	private void killAfterThreeChunks(String[] copy, RedisServer target, List<byte[]> keys) {
		KeyferryProcess killed = start(copy);
		new RepositoryProbe(this.home).awaitCommittedChunks(killed, 3, PROGRESS_TIMEOUT);
		killed.kill();
		assertThat(target.sync().dbsize()).as("keys written before the kill").isLessThan(keys.size());
	}

	/**
	 * Checks that a resumed execution completed, skipped nothing and left no temporary
	 * key: the 3 MiB string is over the batch's share of --chunk-bytes, a big value
	 * copied in pieces (by the killed execution or by this one); every other key this
	 * execution wrote went type by type for the run's reason.
	 */
	private static void assertResumedInFull(KeyferryProcess resumed, String reason, RedisServer target) {
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(0);
		assertThat(resumed.stderr()).contains("resuming run");
		CopySummary summary = resumed.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.skippedTotal()).isZero();
		long big = summary.fallback().get("bigValue");
		assertThat(big).isBetween(0L, 1L);
		assertThat(summary.fallback()).containsEntry(reason, summary.written() - big);
		assertThat(target.sync().keys("*keyferry-tmp*")).as("temporary keys left").isEmpty();
	}

	/** Every type, streams with consumer groups, values in pieces, a third with a TTL. */
	private static List<byte[]> load(RedisServer source) {
		List<byte[]> keys = new ArrayList<>(TestData.keys(3000).loadInto(source));
		keys.addAll(FallbackData.loadInto(source));
		return keys;
	}

	/**
	 * A copy in chunks of 100 keys whose byte budget (1 MiB) makes the 3 MiB string of
	 * {@link FallbackData} go in pieces.
	 */
	private static String[] copy(RedisServer source, RedisServer target, String... more) {
		List<String> args = new ArrayList<>(
				List.of("copy", "--source", source.uri(), "--target", target.uri(), "--json", "--chunk-size", "100",
						"--scan-count", "100", "--chunk-bytes", "1048576", "--progress", "off"));
		args.addAll(List.of(more));
		return args.toArray(String[]::new);
	}

	private KeyferryProcess start(String... args) {
		return this.processes.start(KeyferryProcess.in(this.home), args);
	}

}
