package io.keyferry.cli;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.keyferry.redis.KeyNames;
import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.MemoryLimit;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.AclSetuserArgs;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A run under {@code --on-conflict skip} or {@code fail} that fails part-way through a
 * chunk and is resumed: the resumed execution re-reads the page in progress, whose keys
 * the failed execution had partly written already. Those keys are keyferry's own writes,
 * not conflicts: they must neither be reported as skipped because they exist, nor stop a
 * {@code fail} run from ever completing.
 */
@ExtendWith(RedisServerExtension.class)
class ConflictPolicyResumeIntegrationTests {

	private static final String[] FAILING_FAST = { "--chunk-size", "50", "--scan-count", "50", "--retries", "1",
			"--retry-backoff", "20ms" };

	/** The first three chunks of ten: where both conflicts of the page test lie. */
	private static final int CONFLICT_POSITIONS = 30;

	private static final int NEAR_THE_START = 20;

	private static final byte[] OLD = "old".getBytes(StandardCharsets.US_ASCII);

	@TempDir
	Path home;

	@Test
	void keysWrittenBeforeAFailureAreNotReportedAsSkippedWhenResumedUnderSkip(RedisServer source, RedisServer target) {
		List<byte[]> keys = TestData.keys(1000).valueSize(64).loadInto(source);
		List<byte[]> conflicting = keys.subList(10, 12);
		for (byte[] key : conflicting) {
			target.binarySync().set(key, OLD);
		}
		MemoryLimit.leaveHeadroom(target);

		CopySummary failed = copy(source, target, "skip").assertExitCode(ExitCode.FAILED).balancedSummary();
		MemoryLimit.lift(target);
		CopySummary resumed = copy(source, target, "skip").assertExitCode(ExitCode.OK).balancedSummary();

		assertThat(resumed.runId()).isEqualTo(failed.runId());
		List<String> expected = conflicting.stream().map(KeyNames::escape).toList();
		List<String> skippedBeforeFailure = skippedKeys(failed);
		List<String> skippedWhenResumed = skippedKeys(resumed);
		Set<String> skipped = new HashSet<>(skippedBeforeFailure);
		skipped.addAll(skippedWhenResumed);
		assertThat(skipped).as("keys reported as skipped because they existed in the target")
			.containsExactlyInAnyOrderElementsOf(expected);
		// a conflicting key skipped before the failure, in the page the resumed execution
		// re-reads, is skipped and recorded again by that execution (counted per
		// execution, like every re-read key): see the next test
		assertThat(failed.skipped().getOrDefault("exists", 0L)).isEqualTo(skippedBeforeFailure.size())
			.isEqualTo(failed.skippedTotal());
		assertThat(resumed.skipped().getOrDefault("exists", 0L)).isEqualTo(skippedWhenResumed.size())
			.isEqualTo(resumed.skippedTotal());
		assertThat(skippedBeforeFailure.size() + skippedWhenResumed.size()).isBetween(expected.size(),
				2 * expected.size());
		keepsTheTargetsOwnValues(source, target, conflicting);
	}

	/**
	 * The case the test above meets only when the failure falls just after a conflicting
	 * key's chunk, made certain: the whole source is one SCAN page, a target user who may
	 * not write one key fails the run (NOPERM) after the chunks holding both conflicting
	 * keys committed, and the resumed execution re-reads the page from its start. One
	 * conflicting key has a binary name (bytes 0xff and newline), handled as bytes
	 * throughout: the skip records name it in {@link KeyNames#escape} form.
	 */
	@Test
	void conflictsInThePageReReadByTheResumedExecutionAreSkippedAgainByIt(RedisServer source) {
		TestData.keys(200).valueSize(64).loadInto(source);
		byte[] binaryConflict = addKeyNearThePageStart(source);
		List<ByteBuffer> order = blockOneKeyFarIntoThePage(source);
		byte[] blocked = order.stream()
			.map(ByteBuffer::array)
			.filter((key) -> new String(key, StandardCharsets.ISO_8859_1).startsWith("blocked:"))
			.findFirst()
			.orElseThrow();
		int blockedPosition = order.indexOf(ByteBuffer.wrap(blocked));
		byte[] plainConflict = order.stream()
			.limit(CONFLICT_POSITIONS)
			.map(ByteBuffer::array)
			.filter((key) -> !Arrays.equals(key, binaryConflict))
			.findFirst()
			.orElseThrow();
		List<byte[]> conflicting = List.of(binaryConflict, plainConflict);
		assertThat(conflicting).allSatisfy((key) -> assertThat(order.indexOf(ByteBuffer.wrap(key)))
			.as("position of a conflicting key in the page (the blocked key is at %d)", blockedPosition)
			.isLessThan(CONFLICT_POSITIONS)
			.isLessThan(blockedPosition));
		List<String> expected = conflicting.stream().map(KeyNames::escape).toList();
		try (RedisServer target = RedisServer.builder().user("copier", "copier-pw", "~kf:*", "+@all").start()) {
			for (byte[] key : conflicting) {
				target.binarySync().set(key, OLD);
			}
			String targetUri = target.uri("copier", "copier-pw");
			String[] options = { "--chunk-size", "10", "--scan-count", "1000", "--partitions", "1", "--on-conflict",
					"skip" };

			CopySummary failed = CliRun.copy(this.home, source.uri(), targetUri, options)
				.assertExitCode(ExitCode.FAILED)
				.balancedSummary();
			assertThat(failed.error()).contains("NOPERM");
			assertThat(target.binarySync().exists(blocked)).isZero();
			target.sync().aclSetuser("copier", AclSetuserArgs.Builder.allKeys());
			CopySummary resumed = CliRun.copy(this.home, source.uri(), targetUri, options)
				.assertExitCode(ExitCode.OK)
				.balancedSummary();

			assertThat(resumed.runId()).isEqualTo(failed.runId());
			assertThat(skippedKeys(failed)).containsExactlyInAnyOrderElementsOf(expected);
			assertThat(skippedKeys(resumed)).as("the resumed execution re-read the page holding both conflicts")
				.containsExactlyInAnyOrderElementsOf(expected);
			assertThat(resumed.read()).isEqualTo(order.size());
			assertThat(resumed.written()).isEqualTo(order.size() - conflicting.size());
			assertThat(resumed.skipped()).containsEntry("exists", (long) conflicting.size());
			keepsTheTargetsOwnValues(source, target, conflicting);
		}
	}

	/**
	 * Under {@code skip} the target keeps its own value of each conflicting key; with
	 * those set aside, source and target hold the same keys, values and TTLs.
	 */
	private static void keepsTheTargetsOwnValues(RedisServer source, RedisServer target, List<byte[]> conflicting) {
		for (byte[] key : conflicting) {
			assertThat(target.binarySync().get(key)).as("the target's own value of %s", KeyNames.escape(key))
				.isEqualTo(OLD);
			target.binarySync().del(key);
			source.binarySync().del(key);
		}
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	/**
	 * Adds a key with a binary name that falls within the first {@value #NEAR_THE_START}
	 * keys of the source's single SCAN page.
	 */
	private static byte[] addKeyNearThePageStart(RedisServer source) {
		for (int attempt = 0; attempt < 200; attempt++) {
			byte[] candidate = binaryName("kf:conflict:" + attempt + ":");
			source.binarySync().set(candidate, "v".getBytes(StandardCharsets.US_ASCII));
			if (stableScanOrder(source).indexOf(ByteBuffer.wrap(candidate)) < NEAR_THE_START) {
				return candidate;
			}
			source.binarySync().del(candidate);
		}
		throw new AssertionError("no key name fell within the first " + NEAR_THE_START + " keys of the SCAN page");
	}

	private static byte[] binaryName(String prefix) {
		byte[] ascii = prefix.getBytes(StandardCharsets.US_ASCII);
		byte[] name = Arrays.copyOf(ascii, ascii.length + 3);
		name[ascii.length] = (byte) 0xff;
		name[ascii.length + 1] = '\n';
		name[ascii.length + 2] = 'z';
		return name;
	}

	/**
	 * Adds a key outside the {@code kf:} prefix that falls at least three chunks of ten
	 * into the source's single SCAN page, and returns the page in SCAN order.
	 */
	private static List<ByteBuffer> blockOneKeyFarIntoThePage(RedisServer source) {
		for (int attempt = 0; attempt < 100; attempt++) {
			String candidate = "blocked:" + attempt;
			source.sync().set(candidate, "v");
			List<ByteBuffer> order = stableScanOrder(source);
			int position = order.indexOf(ByteBuffer.wrap(candidate.getBytes(StandardCharsets.US_ASCII)));
			if (position >= CONFLICT_POSITIONS && position < order.size() - 10) {
				return order;
			}
			source.sync().del(candidate);
		}
		throw new AssertionError(
				"no key name fell at least " + CONFLICT_POSITIONS + " keys into the SCAN page and 10 before its end");
	}

	private static List<ByteBuffer> stableScanOrder(RedisServer source) {
		List<ByteBuffer> previous = null;
		for (int attempt = 0; attempt < 50; attempt++) {
			KeyScanCursor<byte[]> page = source.binarySync().scan(ScanArgs.Builder.limit(1000));
			assertThat(page.isFinished()).as("the whole source in one SCAN page").isTrue();
			List<ByteBuffer> keys = page.getKeys().stream().map(ByteBuffer::wrap).toList();
			if (keys.equals(previous)) {
				return previous;
			}
			previous = keys;
			RedisServer.pause(100);
		}
		throw new AssertionError("the source's SCAN order kept changing (rehashing?)");
	}

	private List<String> skippedKeys(CopySummary execution) {
		CliRun show = CliRun.execute("show", "--home", this.home.toString(), Long.toString(execution.executionId()),
				"--json", "--skipped", "all");
		Map<String, Object> details = JsonDocument.object(show.assertExitCode(ExitCode.OK).out());
		List<String> keys = new ArrayList<>();
		for (Object skip : (List<?>) details.get("skippedKeys")) {
			Map<String, Object> record = JsonDocument.asObject(skip);
			assertThat(record.get("reason")).as("reason of the skip of %s", record.get("key")).isEqualTo("exists");
			keys.add((String) record.get("key"));
		}
		return keys;
	}

	@Test
	void aRunUnderFailCompletesWhenResumedAfterAFailurePartWay(RedisServer source, RedisServer target) {
		TestData.keys(1000).valueSize(64).loadInto(source);
		MemoryLimit.leaveHeadroom(target);

		CopySummary failed = copy(source, target, "fail").assertExitCode(ExitCode.FAILED).balancedSummary();
		assertThat(failed.error()).contains("OOM");
		MemoryLimit.lift(target);
		CliRun resumed = copy(source, target, "fail");

		resumed.assertExitCode(ExitCode.OK);
		assertThat(resumed.balancedSummary().runId()).isEqualTo(failed.runId());
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	private CliRun copy(RedisServer source, RedisServer target, String policy) {
		List<String> options = new ArrayList<>(List.of(FAILING_FAST));
		options.addAll(List.of("--on-conflict", policy));
		return CliRun.copy(this.home, source.uri(), target.uri(), options.toArray(String[]::new));
	}

}
