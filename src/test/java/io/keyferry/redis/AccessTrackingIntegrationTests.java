package io.keyferry.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.lettuce.core.RestoreArgs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link DumpFetcher} and {@link Restorer} with {@link AccessTracking}: the idle time or
 * frequency is read before DUMP (which on Redis 7.0 counts as a use of the key), a source
 * that cannot tell it does not fail the batch, a key deferred by the byte budget keeps
 * what was read before its first DUMP, and nothing is read without tracking. Also how the
 * policy is read and {@code CLIENT NO-TOUCH} on a server that lacks it (7.0.15 here: the
 * command itself cannot be tested).
 */
@ExtendWith(RedisServerExtension.class)
class AccessTrackingIntegrationTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	private static final Backoff NO_RETRY = new Backoff(0, Duration.ofMillis(10), Duration.ofMillis(10));

	@Test
	void readsTheIdleTimeBeforeDumpAndRestoresIt(RedisServer source, RedisServer target) {
		target.sync().configSet("maxmemory-policy", "allkeys-lru");
		byte[] idle = withIdleTime(source, "idle", 1000);
		byte[] missing = bytes("missing");
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection from = connector.connect(Endpoint.parse("source", source.uri()));
				RedisConnector.Connection to = connector.connect(Endpoint.parse("target", target.uri()))) {
			List<KeyDump> dumps = fetcher(from, AccessTracking.LRU).fetch(List.of(idle, missing));

			assertThat(dumps.get(0).idleSeconds()).isGreaterThanOrEqualTo(1000);
			assertThat(dumps.get(0).frequency()).isEqualTo(KeyDump.UNTRACKED);
			assertThat(dumps.get(1).exists()).isFalse();
			assertThat(dumps.get(1).idleSeconds()).isEqualTo(KeyDump.UNTRACKED);
			assertThat(restorer(to, target, (key) -> {
				throw new IllegalStateException("no deferred keys in this test");
			}).restore(dumps)).extracting(RestoreResult::outcome)
				.containsExactly(RestoreResult.Outcome.WRITTEN, RestoreResult.Outcome.FILTERED);
		}
		assertThat(target.sync().objectIdletime("idle")).isGreaterThanOrEqualTo(1000);
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void aSourceThatTracksNoFrequencyIsFetchedAllTheSame(RedisServer source) {
		byte[] key = withIdleTime(source, "key", 10);
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection from = connector.connect(Endpoint.parse("source", source.uri()))) {
			// OBJECT FREQ under noeviction: an error reply for the key, not for the batch
			KeyDump dump = fetcher(from, AccessTracking.LFU).fetch(List.of(key)).get(0);

			assertThat(dump.exists()).isTrue();
			assertThat(dump.frequency()).isEqualTo(KeyDump.UNTRACKED);
			assertThat(dump.idleSeconds()).isEqualTo(KeyDump.UNTRACKED);
		}
	}

	@Test
	void withoutTrackingNothingMoreIsSent(RedisServer source) {
		byte[] key = withIdleTime(source, "key", 10);
		source.sync().configResetstat();
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection from = connector.connect(Endpoint.parse("source", source.uri()))) {
			KeyDump dump = fetcher(from, AccessTracking.NONE).fetch(List.of(key)).get(0);

			assertThat(dump.idleSeconds()).isEqualTo(KeyDump.UNTRACKED);
		}
		assertThat(CommandStats.of(source, "object|idletime").calls()).isZero();
		assertThat(CommandStats.of(source, "dump").calls()).isEqualTo(1);
	}

	@Test
	void aDeferredKeyKeepsTheIdleTimeReadBeforeItsFirstDump(RedisServer source, RedisServer target) {
		target.sync().configSet("maxmemory-policy", "allkeys-lru");
		byte[] idle = withIdleTime(source, "idle", 2000);
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection from = connector.connect(Endpoint.parse("source", source.uri()));
				RedisConnector.Connection to = connector.connect(Endpoint.parse("target", target.uri()))) {
			DumpFetcher fetcher = fetcher(from, AccessTracking.LRU);
			KeyDump first = fetcher.fetch(List.of(idle)).get(0);
			// the first DUMP was a use: read again, the key is no longer idle
			assertThat(fetcher.fetch(List.of(idle)).get(0).idleSeconds()).isLessThan(1000);

			List<RestoreResult> results = restorer(to, target, (key) -> fetcher.fetch(List.of(key)).get(0))
				.restore(List.of(KeyDump.deferred(first)));

			assertThat(results).extracting(RestoreResult::outcome).containsExactly(RestoreResult.Outcome.WRITTEN);
		}
		assertThat(target.sync().objectIdletime("idle")).isGreaterThanOrEqualTo(2000);
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void readsThePolicyFromInfo(RedisServer server) {
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection connection = connector.connect(Endpoint.parse("source", server.uri()))) {
			assertThat(AccessTracking.policy(connection.connection())).isEqualTo("noeviction");
			server.sync().configSet("maxmemory-policy", "volatile-lfu");
			assertThat(AccessTracking.policy(connection.connection())).isEqualTo("volatile-lfu");
		}
	}

	@Test
	void noTouchIsSentOnlyFromRedis72AndARefusalIsNoFailure(RedisServer source) {
		byte[] key = withIdleTime(source, "key", 10);
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection from = connector.connect(Endpoint.parse("source", source.uri()))) {
			String errors = source.info("total_error_replies");

			assertThat(AccessTracking.leaveUntouched(from.connection(), source.version())).isNull();
			assertThat(source.info("total_error_replies")).as("error replies after nothing was sent").isEqualTo(errors);
			// as a 7.2 server that refused it would: the server's reply, and the
			// connection still copies
			assertThat(AccessTracking.leaveUntouched(from.connection(), "7.2.0")).contains("NO-TOUCH");
			assertThat(fetcher(from, AccessTracking.LRU).fetch(List.of(key)).get(0).exists()).isTrue();
		}
	}

	private static DumpFetcher fetcher(RedisConnector.Connection source, AccessTracking tracking) {
		return new DumpFetcher(source.connection(), TIMEOUT, true, ServerClock.offsetMillis(source.connection()),
				tracking);
	}

	private static Restorer restorer(RedisConnector.Connection connection, RedisServer target,
			java.util.function.Function<byte[], KeyDump> refetch) {
		return new Restorer(connection.connection(), Endpoint.parse("target", target.uri()),
				new Restorer.Options(ConflictPolicy.REPLACE, false, Long.MAX_VALUE,
						RdbVersion.ofRedisVersion(target.version()).orElse(-1), NO_RETRY, TIMEOUT,
						ServerClock.offsetMillis(connection.connection())),
				() -> false, (dump) -> false, refetch);
	}

	/**
	 * Writes a string key whose idle time is the given one (RESTORE … IDLETIME).
	 */
	private static byte[] withIdleTime(RedisServer server, String key, long seconds) {
		byte[] name = bytes(key);
		server.sync().set(key, "value of " + key);
		byte[] payload = server.binarySync().dump(name);
		server.binarySync().restore(name, payload, RestoreArgs.Builder.ttl(0).replace().idleTime(seconds));
		return name;
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

}
