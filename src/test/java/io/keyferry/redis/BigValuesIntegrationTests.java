package io.keyferry.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.keyferry.testsupport.FallbackData;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests of values too big to DUMP whole: {@link DumpFetcher} asks
 * {@code MEMORY USAGE} first and DUMPs only the values under its threshold, and the
 * {@link Restorer} copies the others in pieces ({@link TypeWriter}, in small pages here)
 * through a temporary key renamed into place, with their expiry and the conflict policy.
 */
@ExtendWith(RedisServerExtension.class)
class BigValuesIntegrationTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	private static final Backoff ONE_QUICK_RETRY = new Backoff(1, Duration.ofMillis(10), Duration.ofMillis(10));

	private static final int THRESHOLD = 4096;

	@Test
	void onlyValuesUnderTheThresholdAreDumped(RedisServer source) {
		// small values, and collections of several hundred elements above the threshold
		List<byte[]> keys = new ArrayList<>(TestData.keys(200).valueSize(16).ttlFraction(0.5).loadInto(source));
		byte[] bigString = bytes("big:string");
		source.binarySync().set(bigString, new byte[3 * THRESHOLD]);
		source.binarySync().pexpire(bigString, 3_600_000);
		byte[] bigHash = bytes("big:hash");
		for (int i = 0; i < 500; i++) {
			source.binarySync().hset(bigHash, bytes("field" + i), bytes("value" + i));
		}
		keys.add(bigString);
		keys.add(bigHash);
		keys.add(bytes("big:gone"));
		List<String> refusals = new ArrayList<>();

		List<KeyDump> dumps;
		try (Connections connections = new Connections(source, source)) {
			dumps = new DumpFetcher(connections.from(), TIMEOUT, true, 0, THRESHOLD, refusals::add).fetch(keys);
		}

		assertThat(refusals).isEmpty();
		assertThat(dumps).hasSize(keys.size());
		KeyDump string = dumps.get(keys.size() - 3);
		KeyDump hash = dumps.get(keys.size() - 2);
		assertThat(string.isBig()).isTrue();
		assertThat(string.payload()).isNull();
		assertThat(string.bigBytes()).isGreaterThan(3L * THRESHOLD);
		assertThat(string.expireAt()).isGreaterThan(System.currentTimeMillis());
		assertThat(string.exists()).isTrue();
		assertThat(hash.isBig()).isTrue();
		assertThat(hash.expireAt()).isEqualTo(KeyDump.PERSISTENT);
		assertThat(dumps.get(keys.size() - 1).exists()).as("a gone key").isFalse();
		long dumpCalls = CommandStats.of(source, "dump").calls();
		assertThat(CommandStats.of(source, "memory|usage").calls()).isEqualTo(keys.size());
		int big = 0;
		for (int i = 0; i < keys.size() - 1; i++) {
			KeyDump dump = dumps.get(i);
			long usage = source.binarySync().memoryUsage(keys.get(i));
			assertThat(dump.isBig()).as("%s of %d bytes", dump, usage).isEqualTo(usage > THRESHOLD);
			assertThat(dump.payload() == null).isEqualTo(usage > THRESHOLD);
			assertThat(dump.exists()).isTrue();
			big += dump.isBig() ? 1 : 0;
		}
		assertThat(big).as("big values among the test data").isGreaterThan(2).isLessThan(keys.size() - 100);
		// the big values were never DUMPed
		assertThat(dumpCalls).isEqualTo(keys.size() - big);
	}

	@Test
	void aSourceThatRefusesMemoryHasEveryValueDumpedWholeAndSaysSoOnce(RedisServer source) {
		source.sync()
			.aclSetuser("copier",
					io.lettuce.core.AclSetuserArgs.Builder.on()
						.addPassword("secret")
						.allKeys()
						.allCommands()
						.removeCommand(io.lettuce.core.protocol.CommandType.MEMORY));
		List<byte[]> keys = TestData.keys(50).valueSize(THRESHOLD * 2).loadInto(source);
		List<String> refusals = new ArrayList<>();

		List<KeyDump> first;
		List<KeyDump> second;
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection from = connector
					.connect(Endpoint.parse("source", source.uri("copier", "secret")))) {
			DumpFetcher fetcher = new DumpFetcher(from.connection(), TIMEOUT, true, 0, THRESHOLD, refusals::add);
			first = fetcher.fetch(keys);
			second = fetcher.fetch(keys);
		}

		assertThat(refusals).singleElement().asString().startsWith("NOPERM");
		assertThat(first).hasSize(keys.size()).allSatisfy((dump) -> assertThat(dump.payload()).isNotNull());
		assertThat(second).hasSize(keys.size()).allSatisfy((dump) -> assertThat(dump.isBig()).isFalse());
	}

	@Test
	void bigValuesOfEveryTypeAreCopiedInPiecesWithTheirExpiry(RedisServer source, RedisServer target) {
		List<byte[]> keys = new ArrayList<>(FallbackData.loadInto(source));
		keys.addAll(TestData.keys(60).valueSize(2500).ttlFraction(0.5).loadInto(source));

		List<RestoreResult> results;
		try (Connections connections = new Connections(source, target)) {
			// a threshold of one byte: every value is big
			List<KeyDump> dumps = new DumpFetcher(connections.from(), TIMEOUT, true, 0, 1, (refusal) -> {
			}).fetch(keys);
			assertThat(dumps).allSatisfy((dump) -> assertThat(dump.isBig()).isTrue());
			results = connections.restorer(ConflictPolicy.REPLACE, Long.MAX_VALUE).restore(dumps);
		}

		assertThat(results).allSatisfy((result) -> {
			assertThat(result.outcome()).isEqualTo(RestoreResult.Outcome.WRITTEN);
			assertThat(result.fallback()).isEqualTo(FallbackReason.BIG_VALUE);
		});
		assertThat(CommandStats.of(source, "dump").calls()).isZero();
		assertThat(CommandStats.of(target, "restore").calls()).isZero();
		assertThat(target.sync().keys("*keyferry-tmp*")).isEmpty();
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void aTemporaryKeyLeftByACopyCutShortIsReplacedNotKept(RedisServer source, RedisServer target) {
		byte[] key = bytes("big:list");
		for (int i = 0; i < 100; i++) {
			source.binarySync().rpush(key, bytes("element" + i));
		}
		source.binarySync().pexpire(key, 3_600_000);
		// what a killed run left: part of the value, in the temporary key
		byte[] temporary = TypeWriter.temporaryKey(key);
		target.binarySync().rpush(temporary, bytes("element0"), bytes("element1"), bytes("stale"));

		List<RestoreResult> results;
		try (Connections connections = new Connections(source, target)) {
			List<KeyDump> dumps = new DumpFetcher(connections.from(), TIMEOUT, true, 0, 1, (refusal) -> {
			}).fetch(List.of(key));
			results = connections.restorer(ConflictPolicy.REPLACE, Long.MAX_VALUE).restore(dumps);
		}

		assertThat(results).extracting(RestoreResult::fallback).containsExactly(FallbackReason.BIG_VALUE);
		assertThat(target.binarySync().exists(temporary)).isZero();
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void underSkipABigValueTheTargetHoldsIsWrittenAndADifferentOneIsKept(RedisServer source, RedisServer target) {
		byte[] same = bytes("big:same");
		byte[] different = bytes("big:different");
		for (int i = 0; i < 200; i++) {
			source.binarySync().sadd(same, bytes("member" + i));
			source.binarySync().sadd(different, bytes("member" + i));
			target.binarySync().sadd(same, bytes("member" + i));
		}
		target.binarySync().sadd(different, bytes("theirs"));

		List<RestoreResult> results;
		try (Connections connections = new Connections(source, target)) {
			List<KeyDump> dumps = new DumpFetcher(connections.from(), TIMEOUT, true, 0, 1, (refusal) -> {
			}).fetch(List.of(same, different));
			results = connections.restorer(ConflictPolicy.SKIP, Long.MAX_VALUE).restore(dumps);
		}

		assertThat(results).extracting(RestoreResult::outcome)
			.containsExactly(RestoreResult.Outcome.WRITTEN, RestoreResult.Outcome.SKIPPED);
		assertThat(results.get(1).reason()).isEqualTo(SkipReason.EXISTS);
		assertThat(target.binarySync().smembers(different))
			.extracting((member) -> new String(member, StandardCharsets.UTF_8))
			.containsExactly("theirs");
		assertThat(target.sync().keys("*keyferry-tmp*")).isEmpty();
	}

	@Test
	void aBigValueOverMaxValueBytesIsSkippedAsTooLarge(RedisServer source, RedisServer target) {
		byte[] key = bytes("big:string");
		source.binarySync().set(key, new byte[64 * 1024]);

		List<RestoreResult> results;
		try (Connections connections = new Connections(source, target)) {
			List<KeyDump> dumps = new DumpFetcher(connections.from(), TIMEOUT, true, 0, THRESHOLD, (refusal) -> {
			}).fetch(List.of(key));
			results = connections.restorer(ConflictPolicy.REPLACE, 32 * 1024).restore(dumps);
		}

		assertThat(results).singleElement().satisfies((result) -> {
			assertThat(result.reason()).isEqualTo(SkipReason.TOO_LARGE);
			assertThat(result.detail()).contains("MEMORY USAGE").contains("--max-value-bytes 32768");
		});
		assertThat(target.sync().dbsize()).isZero();
		assertThat(CommandStats.of(source, "getrange").calls()).isZero();
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	/** Connections to a source and a target, and a restorer between them. */
	private static final class Connections implements AutoCloseable {

		private final RedisConnector connector = new RedisConnector(TIMEOUT);

		private final RedisServer source;

		private final RedisServer target;

		private final RedisConnector.Connection from;

		private final RedisConnector.Connection to;

		Connections(RedisServer source, RedisServer target) {
			this.source = source;
			this.target = target;
			this.from = this.connector.connect(Endpoint.parse("source", source.uri()));
			this.to = this.connector.connect(Endpoint.parse("target", target.uri()));
		}

		io.lettuce.core.api.StatefulRedisConnection<byte[], byte[]> from() {
			return this.from.connection();
		}

		Restorer restorer(ConflictPolicy policy, long maxValueBytes) {
			Endpoint sourceEndpoint = Endpoint.parse("source", this.source.uri());
			Endpoint targetEndpoint = Endpoint.parse("target", this.target.uri());
			ValueComparison comparison = new ValueComparison(this.from.connection(), sourceEndpoint,
					this.to.connection(), targetEndpoint, this.target.version(), TIMEOUT);
			// small pages and pieces: every value of the test data takes several
			TypeWriter writer = new TypeWriter(this.from.connection(), TIMEOUT, this.target.version(), 50, 1000);
			return new Restorer(TargetRoute.single(this.to.connection()), targetEndpoint,
					new Restorer.Options(policy, false, maxValueBytes, -1, ONE_QUICK_RETRY, TIMEOUT,
							ServerClock.offsetMillis(this.to.connection())),
					() -> false, comparison::targetHolds, (key) -> {
						throw new IllegalStateException("no deferred keys in this test");
					}, null, new Restorer.BigValues(writer, sourceEndpoint));
		}

		@Override
		public void close() {
			this.to.close();
			this.from.close();
			this.connector.close();
		}

	}

}
