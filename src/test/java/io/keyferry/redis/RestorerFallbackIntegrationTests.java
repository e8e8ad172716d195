package io.keyferry.redis;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.keyferry.testsupport.Keyspace;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests of the {@link Restorer}'s per-key fallback to {@link TypeWriter}: in
 * one batch for a Redis 6.2 target, the payloads of a 6.2 server are restored and only
 * those of a 7.0 server are written type by type, after RESTORE rejected them when the
 * target's version is unknown, without trying RESTORE when it is known.
 */
@ExtendWith(RedisServerExtension.class)
class RestorerFallbackIntegrationTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	private static final Backoff ONE_QUICK_RETRY = new Backoff(1, Duration.ofMillis(10), Duration.ofMillis(10));

	@Test
	void onlyPayloadsTheTargetRejectsAreWrittenTypeByType(RedisServer source,
			@RedisServerOptions(old = true) RedisServer oldSource, @RedisServerOptions(old = true) RedisServer target) {
		Batch batch = mixedBatch(source, oldSource);

		List<RestoreResult> results = batch.restore(target, -1);

		assertThat(results).extracting(RestoreResult::outcome).containsOnly(RestoreResult.Outcome.WRITTEN);
		for (int i = 0; i < results.size(); i++) {
			boolean fromNewServer = batch.fromNewServer().get(i);
			assertThat(results.get(i).fallback()).as("fallback of key %d", i)
				.isEqualTo(fromNewServer ? FallbackReason.REJECTED : null);
		}
		// every key was offered to RESTORE once (the 7.0 payloads failed in it)
		assertThat(CommandStats.of(target, "restore")).isEqualTo(new CommandStats(results.size(), 0));
		assertSameContent(source, target, "new:");
		assertSameContent(oldSource, target, "old:");
	}

	@Test
	void aKnownOlderTargetGetsNewerPayloadsTypeByTypeWithoutRestore(RedisServer source,
			@RedisServerOptions(old = true) RedisServer oldSource, @RedisServerOptions(old = true) RedisServer target) {
		Batch batch = mixedBatch(source, oldSource);

		List<RestoreResult> results = batch.restore(target, RdbVersion.ofRedisVersion(target.version()).getAsInt());

		long newKeys = batch.fromNewServer().stream().filter((b) -> b).count();
		assertThat(results).extracting(RestoreResult::fallback)
			.containsOnly(FallbackReason.OLDER_TARGET, null)
			.filteredOn((reason) -> reason != null)
			.hasSize((int) newKeys);
		assertThat(CommandStats.of(target, "restore")).isEqualTo(new CommandStats(results.size() - newKeys, 0));
		assertSameContent(source, target, "new:");
		assertSameContent(oldSource, target, "old:");
	}

	private static void assertSameContent(RedisServer source, RedisServer target, String prefix) {
		KeyspaceComparison comparison = KeyspaceComparison.compare(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE, (key) -> key);
		assertThat(comparison.differences()).as(comparison::report)
			.allSatisfy((difference) -> assertThat(difference.status()).isEqualTo(KeyspaceComparison.Status.EXTRA));
		assertThat(comparison.differences(KeyspaceComparison.Status.EXTRA)).allSatisfy(
				(difference) -> assertThat(new String(difference.key(), java.nio.charset.StandardCharsets.ISO_8859_1))
					.doesNotStartWith(prefix));
	}

	/** Dumps of two servers interleaved, and which came from the newer. */
	private record Batch(RedisServer newServer, List<KeyDump> dumps, List<Boolean> fromNewServer) {

		List<RestoreResult> restore(RedisServer target, int targetRdbVersion) {
			try (RedisConnector connector = new RedisConnector(TIMEOUT);
					RedisConnector.Connection from = connector.connect(Endpoint.parse("source", this.newServer.uri()));
					RedisConnector.Connection to = connector.connect(Endpoint.parse("target", target.uri()))) {
				Restorer restorer = new Restorer(TargetRoute.single(to.connection()),
						Endpoint.parse("target", target.uri()),
						new Restorer.Options(ConflictPolicy.REPLACE, false, Long.MAX_VALUE, targetRdbVersion,
								ONE_QUICK_RETRY, TIMEOUT, ServerClock.offsetMillis(to.connection())),
						() -> false, (dump) -> false, (key) -> {
							throw new IllegalStateException("no deferred keys in this test");
						}, new Restorer.Fallback(new TypeWriter(from.connection(), TIMEOUT, target.version()),
								WriteMode.AUTO, Endpoint.parse("source", this.newServer.uri())));
				return restorer.restore(this.dumps);
			}
		}

	}

	private static Batch mixedBatch(RedisServer newServer, RedisServer oldServer) {
		List<byte[]> newKeys = TestData.keys(60).prefix("new:").loadInto(newServer);
		List<byte[]> oldKeys = TestData.keys(60).prefix("old:").seed(9).loadInto(oldServer);
		List<KeyDump> dumps = new ArrayList<>();
		List<Boolean> fromNew = new ArrayList<>();
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection newer = connector.connect(Endpoint.parse("source", newServer.uri()));
				RedisConnector.Connection older = connector.connect(Endpoint.parse("source", oldServer.uri()))) {
			List<KeyDump> newDumps = new DumpFetcher(newer.connection(), TIMEOUT, true,
					ServerClock.offsetMillis(newer.connection()))
				.fetch(newKeys);
			List<KeyDump> oldDumps = new DumpFetcher(older.connection(), TIMEOUT, false, 0).fetch(oldKeys);
			for (int i = 0; i < newKeys.size(); i++) {
				// new and old keys alternate in runs of different lengths
				dumps.add(newDumps.get(i));
				fromNew.add(true);
				if (i % 3 != 2) {
					dumps.add(oldDumps.get(i));
					fromNew.add(false);
				}
			}
			for (int i = 0; i < oldKeys.size(); i++) {
				if (i % 3 == 2) {
					dumps.add(oldDumps.get(i));
					fromNew.add(false);
				}
			}
		}
		assertThat(dumps).extracting((dump) -> ByteBuffer.wrap(dump.key())).doesNotHaveDuplicates();
		return new Batch(newServer, dumps, fromNew);
	}

}
