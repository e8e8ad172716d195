package io.keyferry.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.keyferry.KeyferryException;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link DumpFetcher} and {@link Restorer} on connections as keyferry configures them
 * (and with Lettuce's default command timeouts on): a chunk's DUMPs and expiries go to
 * the source with one flush and its RESTOREs to the target with one flush, and every key
 * of a pipelined batch keeps its own classified result: written, {@code exists} under
 * {@code --on-conflict skip} (BUSYKEY), {@code rejected} (a payload the target refuses),
 * {@code too-large}, filtered when gone; a target out of memory or read-only fails the
 * batch after its retries, with a message that says so.
 */
@ExtendWith(RedisServerExtension.class)
class RestorerIntegrationTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	/** Above every value of the test data set. */
	private static final long MAX_VALUE_BYTES = 64 * 1024;

	private static final Backoff ONE_QUICK_RETRY = new Backoff(1, Duration.ofMillis(10), Duration.ofMillis(10));

	@ParameterizedTest
	@EnumSource(WireCounter.Timeouts.class)
	void copiesAChunkWithOneFlushOnEachSide(WireCounter.Timeouts timeouts, RedisServer source, RedisServer target) {
		List<byte[]> keys = TestData.keys(500).loadInto(source);
		WireCounter sourceWire = new WireCounter();
		WireCounter targetWire = new WireCounter();
		try (RedisConnector sourceConnector = sourceWire.connector(TIMEOUT, timeouts);
				RedisConnector targetConnector = targetWire.connector(TIMEOUT, timeouts);
				RedisConnector.Connection from = sourceConnector.connect(Endpoint.parse("source", source.uri()));
				RedisConnector.Connection to = targetConnector.connect(Endpoint.parse("target", target.uri()))) {
			DumpFetcher fetcher = fetcher(from);
			Restorer restorer = restorer(to, target, ConflictPolicy.REPLACE, Long.MAX_VALUE, ONE_QUICK_RETRY,
					(dump) -> false);

			WireCounter.Counts beforeFetch = sourceWire.counts();
			List<KeyDump> dumps = fetcher.fetch(keys);
			WireCounter.Counts fetched = sourceWire.counts().since(beforeFetch);
			WireCounter.Counts beforeRestore = targetWire.counts();
			List<RestoreResult> results = restorer.restore(dumps);
			WireCounter.Counts restored = targetWire.counts().since(beforeRestore);

			assertThat(fetched.flushes()).as("flushes to the source for 500 DUMPs and 500 PEXPIRETIMEs").isEqualTo(1);
			assertThat(restored.flushes()).as("flushes to the target for 500 RESTOREs").isEqualTo(1);
			assertThat(results).extracting(RestoreResult::outcome).containsOnly(RestoreResult.Outcome.WRITTEN);
		}
		assertThat(CommandStats.of(source, "dump").calls()).isEqualTo(500);
		assertThat(CommandStats.of(source, "pexpiretime").calls()).isEqualTo(500);
		assertThat(CommandStats.of(target, "restore").calls()).isEqualTo(500);
		KeyspaceComparison.assertSameContent(source, target);
	}

	@ParameterizedTest
	@EnumSource(WireCounter.Timeouts.class)
	void classifiesEveryKeyOfAPipelinedBatch(WireCounter.Timeouts timeouts, RedisServer source, RedisServer target) {
		List<byte[]> keys = new ArrayList<>(TestData.keys(100).ttlFraction(0.3).loadInto(source));
		byte[] exists = bytes("kf:exists");
		byte[] bad = bytes("kf:bad-payload");
		byte[] large = bytes("kf:too-large");
		byte[] gone = bytes("kf:gone");
		source.binarySync().set(exists, bytes("the source's value"));
		target.binarySync().set(exists, bytes("the target's own value"));
		source.binarySync().set(bad, bytes("a value whose payload gets damaged"));
		// random bytes, which DUMP cannot compress below the limit
		byte[] largeValue = new byte[(int) MAX_VALUE_BYTES + 1];
		new Random(11).nextBytes(largeValue);
		source.binarySync().set(large, largeValue);
		keys.addAll(List.of(exists, bad, large, gone));
		WireCounter targetWire = new WireCounter();
		List<RestoreResult> results;
		try (RedisConnector sourceConnector = new RedisConnector(TIMEOUT);
				RedisConnector targetConnector = targetWire.connector(TIMEOUT, timeouts);
				RedisConnector.Connection from = sourceConnector.connect(Endpoint.parse("source", source.uri()));
				RedisConnector.Connection to = targetConnector.connect(Endpoint.parse("target", target.uri()));
				// the comparison of a conflicting key has connections of its own: the
				// wire
				// counted is the RESTOREs'
				StatefulRedisConnection<byte[], byte[]> compareFrom = source.connect();
				StatefulRedisConnection<byte[], byte[]> compareTo = target.connect()) {
			List<KeyDump> dumps = new ArrayList<>(fetcher(from).fetch(keys));
			int damaged = keys.indexOf(bad);
			byte[] payload = dumps.get(damaged).payload().clone();
			payload[payload.length - 1] ^= 0x5a;
			dumps.set(damaged, new KeyDump(bad, payload, dumps.get(damaged).expireAt()));
			Restorer restorer = restorer(to, target, ConflictPolicy.SKIP, MAX_VALUE_BYTES, ONE_QUICK_RETRY,
					new ValueComparison(compareFrom, Endpoint.parse("source", source.uri()), compareTo,
							Endpoint.parse("target", target.uri()), target.version(),
							Duration.ofSeconds(10))::targetHolds);

			WireCounter.Counts before = targetWire.counts();
			results = restorer.restore(dumps);

			assertThat(targetWire.counts().since(before).flushes()).as("flushes for the batch's RESTOREs").isEqualTo(1);
		}
		assertThat(results).hasSize(keys.size());
		for (int i = 0; i < 100; i++) {
			assertThat(results.get(i).outcome()).as("key %d", i).isEqualTo(RestoreResult.Outcome.WRITTEN);
			assertThat(results.get(i).dump().key()).isEqualTo(keys.get(i));
		}
		assertSkipped(results.get(100), SkipReason.EXISTS, "BUSYKEY");
		assertSkipped(results.get(101), SkipReason.REJECTED, "payload version or checksum");
		assertSkipped(results.get(102), SkipReason.TOO_LARGE, "exceeds --max-value-bytes " + MAX_VALUE_BYTES);
		assertThat(results.get(103).outcome()).isEqualTo(RestoreResult.Outcome.FILTERED);
		// the 100 keys and the conflicting one (refused) were sent; the too-large one
		// was not
		assertThat(CommandStats.of(target, "restore").calls()).isEqualTo(102);
		assertThat(target.binarySync().get(exists)).isEqualTo(bytes("the target's own value"));
		KeyspaceComparison comparison = KeyspaceComparison.compare(source, target,
				KeyspaceComparison.DEFAULT_TTL_TOLERANCE);
		assertThat(comparison.differences())
			.extracting((difference) -> difference.status() + " " + difference.printableKey())
			.containsExactlyInAnyOrder("VALUE kf:exists", "MISSING kf:bad-payload", "MISSING kf:too-large");
		assertThat(comparison.sourceKeys()).isEqualTo(103);
	}

	@Test
	void aTargetOutOfMemoryFailsTheBatchAfterItsRetries(RedisServer source, RedisServer target) {
		List<byte[]> keys = TestData.keys(50).loadInto(source);
		target.sync().configSet("maxmemory", "1");
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection from = connector.connect(Endpoint.parse("source", source.uri()));
				RedisConnector.Connection to = connector.connect(Endpoint.parse("target", target.uri()))) {
			List<KeyDump> dumps = fetcher(from).fetch(keys);
			Restorer restorer = restorer(to, target, ConflictPolicy.REPLACE, Long.MAX_VALUE, ONE_QUICK_RETRY,
					(dump) -> false);

			assertThatThrownBy(() -> restorer.restore(dumps)).isInstanceOf(KeyferryException.class)
				.hasMessageContaining("is out of memory: OOM");

			target.sync().configSet("maxmemory", "0");
			assertThat(restorer.restore(dumps)).extracting(RestoreResult::outcome)
				.containsOnly(RestoreResult.Outcome.WRITTEN);
		}
		// two attempts that the target refused, then one that it accepted
		assertThat(CommandStats.of(target, "restore")).isEqualTo(new CommandStats(50, 100));
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void aReadOnlyTargetFailsTheBatchAfterItsRetries(RedisServer source, RedisServer target) {
		List<byte[]> keys = TestData.keys(50).loadInto(source);
		target.sync().replicaof(source.host(), source.port());
		// once synchronised, the replica answers READONLY (while loading, it would
		// answer LOADING)
		awaitReplicationLink(target);
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection from = connector.connect(Endpoint.parse("source", source.uri()));
				RedisConnector.Connection to = connector.connect(Endpoint.parse("target", target.uri()))) {
			List<KeyDump> dumps = fetcher(from).fetch(keys);
			Restorer restorer = restorer(to, target, ConflictPolicy.REPLACE, Long.MAX_VALUE, ONE_QUICK_RETRY,
					(dump) -> false);

			assertThatThrownBy(() -> restorer.restore(dumps)).isInstanceOf(KeyferryException.class)
				.hasMessageContaining("is a read-only replica: READONLY");
			assertThat(CommandStats.of(target, "restore")).as("RESTOREs refused by the replica")
				.isEqualTo(new CommandStats(0, 100));

			target.sync().replicaofNoOne();
			assertThat(restorer.restore(dumps)).extracting(RestoreResult::outcome)
				.containsOnly(RestoreResult.Outcome.WRITTEN);
		}
		KeyspaceComparison.assertSameContent(source, target);
	}

	private static void awaitReplicationLink(RedisServer replica) {
		long deadline = System.nanoTime() + TIMEOUT.toNanos();
		while (!replica.sync().info("replication").contains("master_link_status:up")) {
			assertThat(System.nanoTime()).as("replica synchronised in time").isLessThan(deadline);
			RedisServer.pause(20);
		}
	}

	private static void assertSkipped(RestoreResult result, SkipReason reason, String detail) {
		assertThat(result.outcome()).as("outcome of %s", KeyNames.escape(result.dump().key()))
			.isEqualTo(RestoreResult.Outcome.SKIPPED);
		assertThat(result.reason()).isEqualTo(reason);
		assertThat(result.detail()).contains(detail);
	}

	private static DumpFetcher fetcher(RedisConnector.Connection source) {
		return new DumpFetcher(source.connection(), TIMEOUT, true, ServerClock.offsetMillis(source.connection()));
	}

	private static Restorer restorer(RedisConnector.Connection connection, RedisServer target, ConflictPolicy policy,
			long maxValueBytes, Backoff backoff, java.util.function.Predicate<KeyDump> targetHolds) {
		return new Restorer(connection.connection(), Endpoint.parse("target", target.uri()),
				new Restorer.Options(policy, false, maxValueBytes,
						RdbVersion.ofRedisVersion(target.version()).orElse(-1), backoff, TIMEOUT,
						ServerClock.offsetMillis(connection.connection())),
				() -> false, targetHolds, (key) -> {
					throw new IllegalStateException("no deferred keys in this test");
				});
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

}
