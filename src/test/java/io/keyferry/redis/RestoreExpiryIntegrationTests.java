package io.keyferry.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invariant 5 when the target is slow to execute a RESTORE: the copy of a volatile key
 * must not outlive the source key ({@link KeyDump}'s contract: "the target never keeps a
 * key longer than the source would").
 */
@ExtendWith(RedisServerExtension.class)
class RestoreExpiryIntegrationTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	private static final long PAUSE_MILLIS = 500;

	@Test
	void copyDoesNotOutliveTheSourceKeyWhenTheTargetHoldsTheRestore(RedisServer source, RedisServer target) {
		byte[] key = "kf:volatile".getBytes(StandardCharsets.UTF_8);
		source.binarySync().set(key, "value".getBytes(StandardCharsets.UTF_8));
		source.binarySync().pexpire(key, Duration.ofHours(1).toMillis());
		long sourceExpiry = source.binarySync().pexpiretime(key);
		Endpoint sourceEndpoint = Endpoint.parse("source", source.uri());
		Endpoint targetEndpoint = Endpoint.parse("target", target.uri());
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection from = connector.connect(sourceEndpoint);
				RedisConnector.Connection to = connector.connect(targetEndpoint)) {
			List<KeyDump> dumps = new DumpFetcher(from.connection(), TIMEOUT, true,
					ServerClock.offsetMillis(from.connection()))
				.fetch(List.of(key));
			Restorer restorer = new Restorer(to.connection(), targetEndpoint,
					new Restorer.Options(ConflictPolicy.REPLACE, false, 512L * 1024 * 1024,
							RdbVersion.ofRedisVersion(target.version()).orElse(-1), Backoff.DEFAULT, TIMEOUT,
							ServerClock.offsetMillis(to.connection())),
					() -> false, (dump) -> false, (k) -> {
						throw new IllegalStateException("no deferred keys in this test");
					});
			// the target holds client commands for a while, as it does during a failover
			// (CLIENT PAUSE) or when busy
			target.sync().clientPause(PAUSE_MILLIS);

			List<RestoreResult> results = restorer.restore(dumps);

			assertThat(results).singleElement()
				.extracting(RestoreResult::outcome)
				.isEqualTo(RestoreResult.Outcome.WRITTEN);
		}
		long targetExpiry = target.binarySync().pexpiretime(key);
		assertThat(targetExpiry - sourceExpiry)
			.as("ms by which the copy outlives the source key (held %d ms)", PAUSE_MILLIS)
			.isLessThanOrEqualTo(50);
	}

}
