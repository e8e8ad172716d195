package io.keyferry.redis;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import io.keyferry.KeyferryException;
import io.keyferry.testsupport.Keyspace;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisCluster;
import io.keyferry.testsupport.RedisClusterExtension;
import io.keyferry.testsupport.RedisClusterOptions;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Restorer} on a real cluster whose slot map, as keyferry reads it back, is older
 * than the redirections the masters send: what a node that has not heard of a failover
 * yet answers to {@code CLUSTER NODES} for a while (seen in CI: the batch failed after 16
 * {@code MOVED}s in a row, each followed by a refresh that gave the old map again). A
 * {@code MOVED} sends the key to the node it names; redirections that never end fail the
 * batch only after the retries' pauses, with a message that says so.
 */
@ExtendWith({ RedisClusterExtension.class, RedisServerExtension.class })
class RestorerRedirectIntegrationTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	private static final Backoff ONE_QUICK_RETRY = new Backoff(1, Duration.ofMillis(10), Duration.ofMillis(10));

	@Test
	void aStaleSlotMapFollowsMovedToTheMasterServingTheKey(RedisServer source,
			@RedisClusterOptions(replicas = 0) RedisCluster target) {
		List<byte[]> keys = TestData.keys(300).ttlFraction(0.3).loadInto(source);
		RedisCluster.Node stale = target.masters().get(0);
		long elsewhere = keys.stream().filter((key) -> !target.masterOf(key).equals(stale)).count();
		assertThat(elsewhere).as("keys served by the other masters").isPositive();
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection from = connector.connect(Endpoint.parse("source", source.uri()));
				StaleRoute route = new StaleRoute(connector, target, stale, false)) {
			List<KeyDump> dumps = fetcher(from).fetch(keys);

			List<RestoreResult> results = restorer(route, target).restore(dumps);

			assertThat(results).extracting(RestoreResult::outcome).containsOnly(RestoreResult.Outcome.WRITTEN);
			assertThat(route.refreshes()).as("the map read again after the redirections").isEqualTo(1);
		}
		assertThat(CommandStats.of(stale.server(), "restore"))
			.as("RESTOREs on the stale owner: its own keys run, every other key redirected once")
			.isEqualTo(new CommandStats(keys.size() - elsewhere, elsewhere));
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.DEFAULT_TTL_TOLERANCE);
	}

	@Test
	void redirectionsThatNeverEndFailTheBatchAfterItsPauses(RedisServer source,
			@RedisClusterOptions(replicas = 0) RedisCluster target) {
		RedisCluster.Node stale = target.masters().get(0);
		List<byte[]> keys = TestData.keys(300)
			.loadInto(source)
			.stream()
			.filter((key) -> !target.masterOf(key).equals(stale))
			.toList();
		assertThat(keys).isNotEmpty();
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection from = connector.connect(Endpoint.parse("source", source.uri()));
				StaleRoute route = new StaleRoute(connector, target, stale, true)) {
			List<KeyDump> dumps = fetcher(from).fetch(keys);

			assertThatThrownBy(() -> restorer(route, target).restore(dumps)).isInstanceOf(KeyferryException.class)
				.hasMessageContaining("redirected (MOVED/ASK) " + (Restorer.MAX_REDIRECTS + 2) + " times in a row");
		}
		// sent again at once 16 times, then once after the one retry's pause, then given
		// up
		assertThat(CommandStats.of(stale.server(), "restore"))
			.isEqualTo(new CommandStats(0, keys.size() * (Restorer.MAX_REDIRECTS + 2L)));
		for (RedisCluster.Node master : target.masters()) {
			assertThat(master.server().sync().dbsize()).as("keys on %s", master).isZero();
		}
	}

	private static DumpFetcher fetcher(RedisConnector.Connection source) {
		return new DumpFetcher(source.connection(), TIMEOUT, true, ServerClock.offsetMillis(source.connection()));
	}

	private static Restorer restorer(TargetRoute route, RedisCluster target) {
		return new Restorer(route, Endpoint.parse("target", target.seedUri()),
				new Restorer.Options(ConflictPolicy.REPLACE, false, Long.MAX_VALUE, -1, ONE_QUICK_RETRY, TIMEOUT, 0),
				() -> false, (dump) -> false, (key) -> {
					throw new IllegalStateException("no deferred keys in this test");
				});
	}

	/**
	 * A route whose map says one master serves every slot, and stays so when read again;
	 * optionally a proxy that sends every command to that master, even to another node's
	 * address (the redirections never end).
	 */
	private static final class StaleRoute implements TargetRoute, AutoCloseable {

		private final RedisConnector connector;

		private final String staleAddress;

		private final boolean everythingToStale;

		private final Map<String, RedisConnector.Connection> connections = new HashMap<>();

		private final AtomicInteger refreshes = new AtomicInteger();

		StaleRoute(RedisConnector connector, RedisCluster cluster, RedisCluster.Node stale, boolean everythingToStale) {
			this.connector = connector;
			this.staleAddress = stale.address();
			this.everythingToStale = everythingToStale;
		}

		@Override
		public StatefulRedisConnection<byte[], byte[]> connectionFor(byte[] key) {
			return connectionAt(this.staleAddress);
		}

		@Override
		public StatefulRedisConnection<byte[], byte[]> connectionAt(String address) {
			String node = this.everythingToStale ? this.staleAddress : address;
			return this.connections
				.computeIfAbsent(node, (a) -> this.connector.connect(Endpoint.parse("target", "redis://" + a)))
				.connection();
		}

		@Override
		public void refresh() {
			this.refreshes.incrementAndGet();
		}

		@Override
		public boolean cluster() {
			return true;
		}

		int refreshes() {
			return this.refreshes.get();
		}

		@Override
		public void close() {
			this.connections.values().forEach(RedisConnector.Connection::close);
		}

	}

}
