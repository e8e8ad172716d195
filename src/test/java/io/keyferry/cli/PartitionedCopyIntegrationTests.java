package io.keyferry.cli;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.keyferry.redis.KeyScanner;
import io.keyferry.redis.ScanPage;
import io.keyferry.redis.ScanRange;
import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.MemoryLimit;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests of the partitioned copy step ({@code --partitions 4}: four slices of
 * the source's reverse-binary SCAN cursor space copied in parallel, each with its own
 * checkpoint): nothing is lost while the source is written to during the copy (and its
 * hash table grows), an interrupted partitioned run resumes to the same content, and the
 * slices together cover every key, re-reading at most one page per slice boundary.
 */
@ExtendWith(RedisServerExtension.class)
class PartitionedCopyIntegrationTests {

	private static final Duration TTL_TOLERANCE = Duration.ofMillis(100);

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(60);

	private static final String[] FAST_RETRIES = { "--retries", "1", "--retry-backoff", "20ms" };

	private static final String PARTITION_STEP = "copy-partition:";

	private static final List<String> PARTITION_NAMES = List.of(PARTITION_STEP + "node0.range0",
			PARTITION_STEP + "node0.range1", PARTITION_STEP + "node0.range2", PARTITION_STEP + "node0.range3");

	@TempDir
	Path home;

	/**
	 * Invariant 1 with partitions and a busy source: 32,000 keys fill the source's main
	 * hash table to just under 32,768 buckets, and the writer adds new keys once the copy
	 * is under way, so that the table grows (and is rehashed) while the four slices are
	 * being scanned.
	 */
	@Test
	void keysUntouchedByConcurrentWritesAreCopiedWithValueAndTtl(RedisServer source, RedisServer target) {
		int keys = TestData.keys(32_000).loadInto(source).size();
		CliRun run;
		SourceWriter writer = SourceWriter.start(source, target, keys);
		try {
			run = copy(source, target, "--partitions", "4", "--rate-limit", "10000", "--scan-count", "200",
					"--chunk-size", "400");
		}
		finally {
			writer.stop();
		}

		run.assertExitCode(ExitCode.OK);
		CopySummary summary = run.balancedSummary();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(writer.opsWhileCopying()).as("writes to the source while the copy was writing to the target")
			.isGreaterThan(500);
		assertThat(writer.added()).as("keys added while copying (the table grows past 32,768 entries)")
			.hasSizeGreaterThan(1000);
		assertThat(writer.touchedExisting()).as("existing keys touched").isLessThan(keys / 3);
		KeyspaceComparison comparison = KeyspaceComparison.compare(source, target, TTL_TOLERANCE);
		List<KeyspaceComparison.Difference> untouched = comparison.differences()
			.stream()
			.filter((difference) -> !writer.touched(difference.key()))
			.toList();
		assertThat(untouched)
			.as("differences on keys the writer never touched (of %d differences: %s)", comparison.differences().size(),
					comparison.report())
			.isEmpty();
		assertThat(missingFromTarget(target, writer.kept()))
			.as("keys updated or given another TTL during the copy (never deleted) missing from the target")
			.isEmpty();
		long untouchedKeys = keys - writer.touchedExisting();
		assertThat(summary.written()).as("keys written").isGreaterThanOrEqualTo(untouchedKeys);
	}

	/**
	 * Invariants 1 and 3 with partitions: {@code keyferry stop} ends every partition at a
	 * chunk boundary with its own checkpoint, and the same copy command resumes only what
	 * is left.
	 */
	@Test
	void stoppedPartitionedCopyResumesToTheSameContent(RedisServer source, RedisServer target) {
		int keys = TestData.keys(20_000).loadInto(source).size();
		String[] options = { "--partitions", "4", "--scan-count", "200", "--chunk-size", "400" };
		CopySummary stopped;
		try (BackgroundRun copy = BackgroundRun
			.start(concat(new String[] { "copy", "--home", this.home.toString(), "--source", source.uri(), "--target",
					target.uri(), "--json", "--progress", "off", "--rate-limit", "3000" }, options))) {
			copy.awaitStderr(RUN_TIMEOUT, "starting run");
			copy.awaitNewestEntry(List.of("history", "--home", this.home.toString(), "--json", "--limit", "1"),
					(entry) -> "STARTED".equals(entry.get("status")) && JsonDocument.number(entry, "written") >= 2000,
					RUN_TIMEOUT);
			CliRun.execute("stop", "--home", this.home.toString()).assertExitCode(ExitCode.OK);
			stopped = copy.await(RUN_TIMEOUT).assertExitCode(ExitCode.STOPPED).balancedSummary();
		}
		assertThat(stopped.status()).isEqualTo("STOPPED");
		assertThat(stopped.read()).as("keys read before the stop").isPositive().isLessThan(keys);

		CliRun resumed = copy(source, target, options).assertExitCode(ExitCode.OK);

		assertResumed(source, target, keys, stopped, resumed, "STOPPED");
	}

	/**
	 * Invariants 1 and 7 with partitions: every partition fails when the target runs out
	 * of memory, and the run resumes from the partitions' checkpoints once it has room.
	 */
	@Test
	void partitionedCopyFailedOnTargetOutOfMemoryResumesToTheSameContent(RedisServer source, RedisServer target) {
		int keys = TestData.keys(20_000).loadInto(source).size();
		String[] options = { "--partitions", "4", "--scan-count", "200", "--chunk-size", "400" };
		// both run the same redis-server: room for about half of the source's keys
		MemoryLimit.leaveHeadroom(target, (usedMemory(source) - usedMemory(target)) / 2);

		CliRun failedRun = copy(source, target, options).assertExitCode(ExitCode.FAILED).assertErrorWithHint();

		CopySummary failed = failedRun.balancedSummary();
		assertThat(failed.status()).isEqualTo("FAILED");
		assertThat(failed.error()).contains("out of memory");
		assertThat(failed.written()).as("keys written before the target filled up").isPositive();
		assertThat(failed.read()).isLessThan(keys);
		MemoryLimit.lift(target);

		CliRun resumed = copy(source, target, options).assertExitCode(ExitCode.OK);

		assertResumed(source, target, keys, failed, resumed, "FAILED");
	}

	/**
	 * The four slices cover every key at least once, and re-read at most one SCAN page at
	 * each of their three boundaries: checked on the slices themselves (SCAN as the
	 * reader runs it) and on the counts of a {@code --partitions 4} copy.
	 */
	@Test
	void fourSlicesCoverEveryKeyReReadingAtMostOnePagePerBoundary(RedisServer source, RedisServer target) {
		int scanCount = 200;
		List<byte[]> names = TestData.keys(40_000).valueSize(8).loadInto(source);
		Set<ByteBuffer> all = new HashSet<>();
		names.forEach((name) -> all.add(ByteBuffer.wrap(name)));

		Map<ByteBuffer, Integer> seen = new HashMap<>();
		List<Integer> sliceSizes = new ArrayList<>();
		try (StatefulRedisConnection<byte[], byte[]> connection = source.connect()) {
			KeyScanner scanner = new KeyScanner(connection, null, null, scanCount);
			for (int index = 0; index < 4; index++) {
				List<byte[]> slice = scanSlice(scanner, new ScanRange(index, 4));
				sliceSizes.add(slice.size());
				slice.forEach((key) -> seen.merge(ByteBuffer.wrap(key), 1, Integer::sum));
			}
		}
		long rereads = seen.values().stream().mapToLong((times) -> times - 1).sum();
		assertThat(seen.keySet()).as("keys of the four slices").isEqualTo(all);
		assertThat(sliceSizes).as("keys per slice").allSatisfy((size) -> assertThat(size).isGreaterThan(5_000));
		assertThat(rereads).as("keys returned by two slices").isLessThanOrEqualTo(3L * scanCount);

		CliRun run = copy(source, target, "--partitions", "4", "--scan-count", Integer.toString(scanCount))
			.assertExitCode(ExitCode.OK);

		CopySummary summary = run.balancedSummary();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.read()).as("keys read by a 4-partition copy of %d keys", all.size())
			.isBetween((long) all.size(), (long) all.size() + 3L * scanCount);
		assertThat(summary.written()).isEqualTo(summary.read());
		List<Map<String, Object>> partitions = partitionSteps(summary.executionId());
		assertThat(partitions).extracting((step) -> step.get("name")).containsExactlyElementsOf(PARTITION_NAMES);
		assertThat(partitions).allSatisfy((step) -> {
			assertThat(step.get("status")).isEqualTo("COMPLETED");
			assertThat(step.get("done")).isEqualTo(true);
			assertThat(JsonDocument.number(step, "read")).isPositive();
		});
		assertThat(partitions.stream().mapToLong((step) -> JsonDocument.number(step, "read")).sum())
			.as("keys read by the partitions")
			.isEqualTo(summary.read());
		KeyspaceComparison.assertSameContent(source, target, TTL_TOLERANCE);
	}

	private void assertResumed(RedisServer source, RedisServer target, int keys, CopySummary interrupted,
			CliRun resumedRun, String interruptedStatus) {
		CopySummary resumed = resumedRun.balancedSummary();
		assertThat(resumed.status()).isEqualTo("COMPLETED");
		assertThat(resumed.runId()).as("run id").isEqualTo(interrupted.runId());
		assertThat(resumed.executionId()).isGreaterThan(interrupted.executionId());
		assertThat(resumedRun.err()).contains("resuming run " + interrupted.runId());
		assertThat(resumed.read()).as("keys read by the resumed execution").isLessThan(keys);
		assertThat(interrupted.read() + resumed.read()).as("keys read by both executions").isGreaterThanOrEqualTo(keys);
		KeyspaceComparison.assertSameContent(source, target, TTL_TOLERANCE);

		List<Map<String, Object>> before = partitionSteps(interrupted.executionId());
		assertThat(before).as("partitions of the interrupted execution")
			.extracting((step) -> step.get("name"))
			.containsExactlyElementsOf(PARTITION_NAMES);
		assertThat(before).allSatisfy((step) -> assertThat(step.get("status")).isIn(interruptedStatus, "COMPLETED"));
		List<Object> unfinished = before.stream()
			.filter((step) -> !"COMPLETED".equals(step.get("status")))
			.map((step) -> step.get("name"))
			.toList();
		assertThat(unfinished).as("partitions the interruption left unfinished").isNotEmpty();
		assertThat(before.stream().filter((step) -> !Boolean.TRUE.equals(step.get("done"))).toList())
			.as("partitions whose scan the interruption left unfinished")
			.isNotEmpty()
			.allSatisfy((step) -> assertThat(step.get("cursor")).as("checkpoint of %s", step).isNotNull());

		List<Map<String, Object>> after = partitionSteps(resumed.executionId());
		assertThat(after).as("partitions re-run by the resumed execution")
			.extracting((step) -> step.get("name"))
			.containsExactlyElementsOf(unfinished);
		assertThat(after).allSatisfy((step) -> {
			assertThat(step.get("status")).isEqualTo("COMPLETED");
			assertThat(step.get("done")).isEqualTo(true);
		});
		assertThat(after.stream().mapToLong((step) -> JsonDocument.number(step, "read")).sum())
			.as("keys read by the resumed partitions")
			.isEqualTo(resumed.read());
	}

	/**
	 * The partition steps of an execution, by name, as {@code show --json} lists them.
	 */
	private List<Map<String, Object>> partitionSteps(long executionId) {
		CliRun show = CliRun.execute("show", "--home", this.home.toString(), Long.toString(executionId), "--json")
			.assertExitCode(ExitCode.OK);
		Object steps = JsonDocument.object(show.out()).get("steps");
		assertThat(steps).as("steps in %s", show.out()).isInstanceOf(List.class);
		return ((List<?>) steps).stream()
			.map(JsonDocument::asObject)
			.filter((step) -> String.valueOf(step.get("name")).startsWith(PARTITION_STEP))
			.toList();
	}

	/** Scans one slice as the reader does: from its start until a cursor ends it. */
	private static List<byte[]> scanSlice(KeyScanner scanner, ScanRange range) {
		List<byte[]> keys = new ArrayList<>();
		long cursor = range.startCursor();
		while (true) {
			ScanPage page = scanner.scan(cursor);
			keys.addAll(page.keys());
			if (range.isEnd(page.nextCursor())) {
				return keys;
			}
			cursor = page.nextCursor();
		}
	}

	private static List<String> missingFromTarget(RedisServer target, Set<ByteBuffer> keys) {
		RedisCommands<byte[], byte[]> commands = target.binarySync();
		List<String> missing = new ArrayList<>();
		for (ByteBuffer key : keys) {
			if (commands.exists(key.array()) == 0) {
				missing.add(KeyspaceComparison.printable(key.array()));
			}
		}
		return missing;
	}

	private CliRun copy(RedisServer source, RedisServer target, String... options) {
		return CliRun.copy(this.home, source.uri(), target.uri(), concat(FAST_RETRIES, options));
	}

	private static String[] concat(String[] first, String[] second) {
		String[] all = new String[first.length + second.length];
		System.arraycopy(first, 0, all, 0, first.length);
		System.arraycopy(second, 0, all, first.length, second.length);
		return all;
	}

	private static long usedMemory(RedisServer server) {
		return Long.parseLong(server.info("used_memory"));
	}

	/**
	 * Writes to the source on a thread of its own until stopped: updates the values of
	 * existing keys (of every type), deletes some, changes or removes the TTL of others,
	 * and, once the target has keys (the copy is writing), adds 1,200 new keys at once,
	 * then more one by one. Each existing key is touched at most once, and at most a
	 * quarter of them. Remembers every key it touched. Its sets are read by the test
	 * thread once {@link #stop} returned.
	 */
	private static final class SourceWriter implements Runnable {

		/** Keys added as soon as the copy writes: 32,000 + 1,200 > 32,768. */
		private static final int GROWTH = 1200;

		private final RedisServer source;

		private final RedisServer target;

		private final int keys;

		private final List<byte[]> names;

		private final Set<ByteBuffer> updated = ConcurrentHashMap.newKeySet();

		private final Set<ByteBuffer> expiryChanged = ConcurrentHashMap.newKeySet();

		private final Set<ByteBuffer> deleted = ConcurrentHashMap.newKeySet();

		private final Set<ByteBuffer> added = ConcurrentHashMap.newKeySet();

		private final AtomicLong opsWhileCopying = new AtomicLong();

		private final AtomicReference<Throwable> failure = new AtomicReference<>();

		private volatile boolean running = true;

		private Thread thread;

		private SourceWriter(RedisServer source, RedisServer target, int keys) {
			this.source = source;
			this.target = target;
			this.keys = keys;
			this.names = TestData.keys(keys).keyNames();
		}

		static SourceWriter start(RedisServer source, RedisServer target, int keys) {
			SourceWriter writer = new SourceWriter(source, target, keys);
			writer.thread = new Thread(writer, "source-writer");
			writer.thread.setDaemon(true);
			writer.thread.start();
			return writer;
		}

		@Override
		public void run() {
			SplittableRandom random = new SplittableRandom(7);
			try (StatefulRedisConnection<byte[], byte[]> sourceConnection = this.source.connect();
					StatefulRedisConnection<byte[], byte[]> targetConnection = this.target.connect()) {
				RedisCommands<byte[], byte[]> commands = sourceConnection.sync();
				boolean copying = false;
				long ops = 0;
				while (this.running) {
					if (!copying) {
						copying = targetConnection.sync().dbsize() > 0;
						if (copying) {
							// at once, whatever the machine's load: the table grows past
							// 32,768 entries (a rehash) while the copy scans
							addKeys(commands, random, GROWTH);
						}
					}
					boolean touchExisting = touchedExisting() < this.keys / 4 && (!copying || random.nextInt(10) < 6);
					if (touchExisting) {
						touchExisting(commands, random);
					}
					else if (copying) {
						addKeys(commands, random, 1);
					}
					ops++;
					if (copying) {
						this.opsWhileCopying.incrementAndGet();
						if (ops % 10 == 0) {
							Thread.sleep(2);
						}
					}
					else {
						// until the copy writes: slowly, most keys stay untouched for it
						Thread.sleep(5);
					}
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			catch (Throwable ex) {
				this.failure.set(ex);
			}
		}

		/** Adds {@code count} new keys, in {@code MSET}s of up to 100. */
		private void addKeys(RedisCommands<byte[], byte[]> commands, SplittableRandom random, int count) {
			for (int done = 0; done < count;) {
				Map<byte[], byte[]> batch = new LinkedHashMap<>();
				for (; done < count && batch.size() < 100; done++) {
					batch.put(ascii("new:" + (this.added.size() + batch.size())), ascii("v" + random.nextLong()));
				}
				commands.mset(batch);
				batch.keySet().forEach((key) -> this.added.add(ByteBuffer.wrap(key)));
			}
		}

		private void touchExisting(RedisCommands<byte[], byte[]> commands, SplittableRandom random) {
			int index;
			ByteBuffer key;
			do {
				// the first keys have binary names: leave them alone
				index = 3 + random.nextInt(this.keys - 3);
				key = ByteBuffer.wrap(this.names.get(index));
			}
			while (touched(key.array()));
			byte[] name = key.array();
			int choice = random.nextInt(4);
			if (choice == 0) {
				commands.del(name);
				this.deleted.add(key);
			}
			else if (choice == 1) {
				if (random.nextBoolean()) {
					commands.pexpire(name, random.nextLong(20 * 60_000, 60 * 60_000));
				}
				else {
					commands.persist(name);
				}
				this.expiryChanged.add(key);
			}
			else {
				update(commands, index, name, random);
				this.updated.add(key);
			}
		}

		private static void update(RedisCommands<byte[], byte[]> commands, int index, byte[] name,
				SplittableRandom random) {
			byte[] value = ascii("updated:" + random.nextLong());
			switch (TestData.typeOf(index)) {
				case STRING -> commands.set(name, value, SetArgs.Builder.keepttl());
				case HASH -> commands.hset(name, ascii("updated"), value);
				case LIST -> commands.rpush(name, value);
				case SET -> commands.sadd(name, value);
				case ZSET -> commands.zadd(name, ScoredValue.just(random.nextInt(1000), value));
				case STREAM -> commands.xadd(name, Map.of(ascii("updated"), value));
			}
		}

		/** Stops writing and waits for the thread; rethrows what it failed with. */
		void stop() {
			this.running = false;
			try {
				this.thread.join(Duration.ofSeconds(30).toMillis());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException("interrupted", ex);
			}
			assertThat(this.thread.isAlive()).as("source writer still running").isFalse();
			if (this.failure.get() != null) {
				throw new AssertionError("the source writer failed: " + this.failure.get(), this.failure.get());
			}
		}

		boolean touched(byte[] key) {
			ByteBuffer name = ByteBuffer.wrap(key);
			return this.updated.contains(name) || this.expiryChanged.contains(name) || this.deleted.contains(name)
					|| this.added.contains(name);
		}

		int touchedExisting() {
			return this.updated.size() + this.expiryChanged.size() + this.deleted.size();
		}

		/**
		 * Existing keys that were touched but not deleted: they must be in the target.
		 */
		Set<ByteBuffer> kept() {
			Set<ByteBuffer> kept = new HashSet<>(this.updated);
			kept.addAll(this.expiryChanged);
			return kept;
		}

		Set<ByteBuffer> added() {
			return this.added;
		}

		long opsWhileCopying() {
			return this.opsWhileCopying.get();
		}

		private static byte[] ascii(String value) {
			return value.getBytes(StandardCharsets.US_ASCII);
		}

	}

}
