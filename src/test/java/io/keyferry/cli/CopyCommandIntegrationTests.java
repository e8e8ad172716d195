package io.keyferry.cli;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests of {@code keyferry copy} run in-process against real redis-server
 * processes: what ends up in the target, and how every key read is counted.
 */
@ExtendWith(RedisServerExtension.class)
class CopyCommandIntegrationTests {

	/** Small chunks and pages, so that even a small keyspace makes many chunks. */
	private static final String[] SMALL_CHUNKS = { "--chunk-size", "50", "--scan-count", "50", "--threads", "2" };

	private static final Duration TTL_TOLERANCE = Duration.ofMillis(100);

	@TempDir
	Path home;

	@Test
	void copiesEveryTypeIncludingStreamsAndBinaryKeyNames(RedisServer source, RedisServer target) {
		List<byte[]> keys = TestData.keys(1200).loadInto(source);

		CliRun run = copy(source.uri(), target.uri(), SMALL_CHUNKS).assertExitCode(ExitCode.OK);

		CopySummary summary = run.balancedSummary();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.read()).isGreaterThanOrEqualTo(keys.size());
		assertThat(summary.written()).isEqualTo(summary.read());
		assertThat(summary.filtered()).isZero();
		assertThat(summary.skippedTotal()).isZero();
		assertThat(summary.field("bytes")).isInstanceOf(Long.class);
		assertThat((Long) summary.field("bytes")).isPositive();
		assertThat(summary.field("scanned")).isEqualTo(1.0);
		assertThat(types(target)).containsExactlyInAnyOrder("string", "hash", "list", "set", "zset", "stream");
		assertThat(target.binarySync().exists(keys.subList(0, 3).toArray(byte[][]::new))).as("binary key names")
			.isEqualTo(3);
		KeyspaceComparison.assertSameContent(source, target, TTL_TOLERANCE);
	}

	@Test
	void copiesAsAnAclUserWhoseNameNeedsEscapingInTheUri(RedisServer target) {
		try (RedisServer source = RedisServer.builder().user("team/reader", "reader-pw").start()) {
			TestData.keys(100).loadInto(source);

			CliRun run = copy(source.uri("team/reader", "reader-pw"), target.uri());

			run.assertExitCode(ExitCode.OK);
			assertThat(run.balancedSummary().written()).isGreaterThanOrEqualTo(100);
			KeyspaceComparison.assertSameContent(source, target, TTL_TOLERANCE);
		}
	}

	@Test
	void copiesIntoAnotherDatabase(RedisServer source, RedisServer target) {
		TestData.keys(300).loadInto(source);

		CliRun run = copy(source.uri() + "/0", target.uri() + "/3", SMALL_CHUNKS).assertExitCode(ExitCode.OK);

		assertThat(run.balancedSummary().written()).isGreaterThanOrEqualTo(300);
		assertThat(run.summary().field("target")).isEqualTo(target.uri() + "/3");
		assertThat(target.sync().dbsize()).as("keys in the target's database 0").isZero();
		target.sync().swapdb(0, 3);
		KeyspaceComparison.assertSameContent(source, target, TTL_TOLERANCE);
	}

	@Test
	void keepsExpiryOfVolatileKeysAndPersistenceOfOthers(RedisServer source, RedisServer target) {
		List<byte[]> keys = TestData.keys(600)
			.ttlFraction(0.5)
			.ttl(Duration.ofSeconds(20), Duration.ofHours(2))
			.loadInto(source);
		long volatileKeys = keys.stream().filter((key) -> source.binarySync().pttl(key) > 0).count();

		copy(source.uri(), target.uri(), SMALL_CHUNKS).assertExitCode(ExitCode.OK).balancedSummary();

		assertThat(keys.stream().filter((key) -> target.binarySync().pttl(key) > 0).count()).isEqualTo(volatileKeys);
		assertThat(keys.stream().filter((key) -> target.binarySync().pttl(key) == -1).count())
			.isEqualTo(keys.size() - volatileKeys);
		KeyspaceComparison.assertSameContent(source, target, TTL_TOLERANCE);
	}

	@Test
	void keepsExpiryWhenTheTargetIsSlowToApplyWrites(RedisServer source, RedisServer target) {
		List<byte[]> keys = TestData.keys(400).ttlFraction(1).loadInto(source);
		// the target holds every write for 300 ms, again and again, while the copy runs:
		// a TTL counted down on this side would be applied up to 300 ms late
		AtomicLong pausedUntil = new AtomicLong();
		CliRun run;
		try (ConcurrentChanges pauser = ConcurrentChanges.start(target, (redis, random) -> {
			if (System.currentTimeMillis() > pausedUntil.get()) {
				redis.dispatch(CommandType.CLIENT, new StatusOutput<>(StringCodec.UTF8),
						new CommandArgs<>(StringCodec.UTF8).add("PAUSE").add(300).add("WRITE"));
				pausedUntil.set(System.currentTimeMillis() + 320);
			}
		})) {
			run = copy(source.uri(), target.uri(), SMALL_CHUNKS);
		}

		run.assertExitCode(ExitCode.OK);
		assertThat(run.balancedSummary().written()).isGreaterThanOrEqualTo(keys.size());
		assertThat(keys).allSatisfy((key) -> assertThat(target.binarySync().pttl(key)).isPositive());
		KeyspaceComparison.assertSameContent(source, target, TTL_TOLERANCE);
	}

	@Test
	void keysExpiringDuringTheRunAreNeverWrittenPersistent(RedisServer source, RedisServer target) {
		// enough keys that the copy outlasts a thousand short-lived keys: with batches
		// sent
		// as one command, 2,000 keys were copied while only 960 were created
		TestData.keys(6000).ttlFraction(0.5).loadInto(source);
		// keys with 1-30 ms to live keep appearing while the copy runs: some expire
		// between SCAN and DUMP, some between DUMP and RESTORE, some are written in time
		AtomicInteger created = new AtomicInteger();
		CliRun run;
		try (ConcurrentChanges writer = ConcurrentChanges.start(source, (redis, random) -> {
			for (int i = 0; i < 20; i++) {
				redis.set(shortKey(created.getAndIncrement()), "v", SetArgs.Builder.px(1 + random.nextInt(30)));
			}
		})) {
			run = copy(source.uri(), target.uri(), "--chunk-size", "20", "--scan-count", "20", "--threads", "2");
		}
		run.assertExitCode(ExitCode.OK);
		CopySummary summary = run.balancedSummary();
		sleep(50);

		assertThat(created.get()).as("short-lived keys created during the run").isGreaterThan(1000);
		assertThat(summary.skippedTotal()).isZero();
		assertThat(summary.filtered()).as("keys that expired between SCAN and their write").isPositive();
		assertThat(summary.written()).isGreaterThanOrEqualTo(6000);
		assertThat(scan(target, "short:*")).as("short-lived keys left in the target, 50 ms after they expired")
			.isEmpty();
		KeyspaceComparison.assertSameContent(source, target, TTL_TOLERANCE);
	}

	@Test
	void keysDeletedDuringTheRunAreNeverResurrectedAndOthersAllArrive(RedisServer source, RedisServer target) {
		TestData.keys(800).loadInto(source);
		int doomed = 1600;
		for (int i = 0; i < doomed; i++) {
			source.sync().set("doomed:" + i, "v" + i, SetArgs.Builder.ex(3600));
		}
		List<Integer> order = new ArrayList<>();
		for (int i = 0; i < doomed; i++) {
			order.add(i);
		}
		Collections.shuffle(order, new Random(7));
		AtomicInteger deleted = new AtomicInteger();
		CliRun run;
		try (StatefulRedisConnection<byte[], byte[]> watch = target.connect();
				ConcurrentChanges deleter = ConcurrentChanges.start(source, (redis, random) -> {
					// start deleting once the copy has started writing
					if (deleted.get() == 0 && watch.sync().dbsize() == 0) {
						return;
					}
					for (int i = 0; i < 2 && deleted.get() < doomed; i++) {
						redis.del("doomed:" + order.get(deleted.getAndIncrement()));
					}
				})) {
			run = copy(source.uri(), target.uri(), "--chunk-size", "100", "--scan-count", "50", "--threads", "2",
					"--rate-limit", "1500");
		}
		run.assertExitCode(ExitCode.OK);
		CopySummary summary = run.balancedSummary();

		assertThat(deleted.get()).as("keys deleted during the run").isGreaterThan(200);
		assertThat(summary.skippedTotal()).isZero();
		assertThat(summary.filtered()).as("keys deleted between SCAN and DUMP").isPositive();
		Set<String> copiedDoomed = scan(target, "doomed:*");
		assertThat(copiedDoomed)
			.allSatisfy((key) -> assertThat(target.sync().pttl(key)).as("TTL of %s, copied before its deletion", key)
				.isPositive());
		// every key that existed for the whole run is in the target, and nothing else
		// but keys deleted after they were copied
		Set<String> remaining = scan(source, "doomed:*");
		assertThat(copiedDoomed).containsAll(remaining);
		copiedDoomed.stream().filter((key) -> !remaining.contains(key)).forEach((key) -> target.sync().del(key));
		KeyspaceComparison.assertSameContent(source, target, TTL_TOLERANCE);
	}

	@Test
	void matchSelectsExactlyTheMatchingKeys(RedisServer source, RedisServer target) {
		List<byte[]> keys = TestData.keys(600).loadInto(source);
		Set<ByteBuffer> hashes = keys.stream()
			.filter((key) -> new String(key, StandardCharsets.ISO_8859_1).startsWith("kf:hash:"))
			.map(ByteBuffer::wrap)
			.collect(Collectors.toSet());

		CliRun run = copy(source.uri(), target.uri(), "--match", "kf:hash:*", "--chunk-size", "30", "--scan-count",
				"30", "--threads", "2")
			.assertExitCode(ExitCode.OK);

		assertThat(run.balancedSummary().written()).isGreaterThanOrEqualTo(hashes.size());
		assertThat(run.summary().field("match")).isEqualTo("kf:hash:*");
		assertThat(allKeys(target)).isEqualTo(hashes).hasSize(100);
	}

	@Test
	void typeSelectsExactlyTheKeysOfThatType(RedisServer source, RedisServer target) {
		TestData.keys(600).loadInto(source);

		CliRun run = copy(source.uri(), target.uri(), "--type", "ZSET", "--chunk-size", "30", "--scan-count", "30",
				"--threads", "2")
			.assertExitCode(ExitCode.OK);

		assertThat(run.summary().field("type")).isEqualTo("zset");
		assertThat(run.balancedSummary().written()).isGreaterThanOrEqualTo(100);
		assertThat(allKeys(target)).isEqualTo(keysOfType(source, "zset")).hasSize(100);
	}

	@Test
	void matchAndTypeTogetherSelectTheirIntersection(RedisServer source, RedisServer target) {
		TestData.keys(600).loadInto(source);
		source.sync().set("kf:s:plain", "a string matching the glob");

		copy(source.uri(), target.uri(), "--match", "kf:s*", "--type", "set", "--chunk-size", "30", "--scan-count",
				"30", "--threads", "2")
			.assertExitCode(ExitCode.OK)
			.balancedSummary();

		assertThat(allKeys(target)).isEqualTo(keysOfType(source, "set")).hasSize(100);
	}

	@Test
	void dryRunWritesNothingAndReportsWhatItWouldWrite(RedisServer source, RedisServer target) {
		TestData.keys(500).loadInto(source);

		CliRun run = copy(source.uri(), target.uri(), "--dry-run", "--chunk-size", "50", "--scan-count", "50")
			.assertExitCode(ExitCode.OK);

		CopySummary summary = run.balancedSummary();
		assertThat(summary.field("dryRun")).isEqualTo(true);
		assertThat(summary.read()).isGreaterThanOrEqualTo(500);
		assertThat(summary.written()).as("keys it would write").isEqualTo(summary.read());
		assertThat(target.sync().dbsize()).isZero();
	}

	@Test
	void dryRunWithSkipPolicyReportsExistingKeysAndWritesNothing(RedisServer source, RedisServer target) {
		TestData.keys(300).loadInto(source);
		target.sync().set("kf:string:6", "already here");
		target.sync().set("kf:hash:7", "already here too");

		CliRun run = copy(source.uri(), target.uri(), "--dry-run", "--on-conflict", "skip", "--chunk-size", "50")
			.assertExitCode(ExitCode.OK);

		CopySummary summary = run.balancedSummary();
		assertThat(summary.skipped()).containsEntry("exists", 2L);
		assertThat(summary.written()).isEqualTo(summary.read() - 2);
		assertThat(target.sync().dbsize()).isEqualTo(2);
		assertThat(target.sync().get("kf:string:6")).isEqualTo("already here");
	}

	private CliRun copy(String source, String target, String... options) {
		return CliRun.copy(this.home, source, target, options);
	}

	private static String shortKey(int index) {
		return "short:" + index;
	}

	private static Set<String> types(RedisServer server) {
		return allKeys(server).stream().map((key) -> server.binarySync().type(bytes(key))).collect(Collectors.toSet());
	}

	private static Set<ByteBuffer> keysOfType(RedisServer server, String type) {
		return allKeys(server).stream()
			.filter((key) -> server.binarySync().type(bytes(key)).equals(type))
			.collect(Collectors.toSet());
	}

	private static Set<ByteBuffer> allKeys(RedisServer server) {
		Set<ByteBuffer> keys = new HashSet<>();
		RedisCommands<byte[], byte[]> redis = server.binarySync();
		KeyScanCursor<byte[]> cursor = redis.scan(ScanArgs.Builder.limit(500));
		while (true) {
			cursor.getKeys().forEach((key) -> keys.add(ByteBuffer.wrap(key)));
			if (cursor.isFinished()) {
				return keys;
			}
			cursor = redis.scan(cursor, ScanArgs.Builder.limit(500));
		}
	}

	private static Set<String> scan(RedisServer server, String match) {
		Set<String> keys = new HashSet<>();
		ScanArgs args = ScanArgs.Builder.matches(match).limit(500);
		KeyScanCursor<String> cursor = server.sync().scan(ScanCursor.INITIAL, args);
		while (true) {
			keys.addAll(cursor.getKeys());
			if (cursor.isFinished()) {
				return keys;
			}
			cursor = server.sync().scan(cursor, args);
		}
	}

	private static byte[] bytes(ByteBuffer key) {
		return key.array();
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Changes a server from a thread of its own, one step every millisecond, until
	 * closed; a failure of a step fails the test when it is closed.
	 */
	static final class ConcurrentChanges implements AutoCloseable {

		private final AtomicBoolean running = new AtomicBoolean(true);

		private final Thread thread;

		private final RedisClient client;

		private volatile RuntimeException failure;

		private ConcurrentChanges(RedisServer server, Step step) {
			this.client = RedisClient.create(server.redisUri());
			RedisCommands<String, String> redis = this.client.connect().sync();
			SplittableRandom random = new SplittableRandom(11);
			this.thread = new Thread(() -> {
				while (this.running.get()) {
					try {
						step.run(redis, random);
						Thread.sleep(1);
					}
					catch (RuntimeException ex) {
						this.failure = ex;
						return;
					}
					catch (InterruptedException ex) {
						return;
					}
				}
			}, "test-background");
			this.thread.setDaemon(true);
			this.thread.start();
		}

		static ConcurrentChanges start(RedisServer server, Step step) {
			return new ConcurrentChanges(server, step);
		}

		@Override
		public void close() {
			this.running.set(false);
			try {
				this.thread.join(10_000);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			this.client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
			if (this.failure != null) {
				throw this.failure;
			}
		}

		interface Step {

			void run(RedisCommands<String, String> redis, SplittableRandom random);

		}

	}

}
