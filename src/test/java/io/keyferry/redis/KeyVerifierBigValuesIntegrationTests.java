package io.keyferry.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.keyferry.testsupport.FallbackData;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests of {@link KeyVerifier} with a big-value threshold: values above it
 * are never DUMPed on either side, and are compared by content in pieces, so an equal
 * copy is equal and a changed big value or expiry is found.
 */
@ExtendWith(RedisServerExtension.class)
class KeyVerifierBigValuesIntegrationTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	@Test
	void bigValuesAreComparedInPiecesWithoutDump(RedisServer source, RedisServer target) {
		List<byte[]> keys = new ArrayList<>(FallbackData.loadInto(source));
		keys.addAll(TestData.keys(60).ttlFraction(0.5).loadInto(source));
		for (byte[] key : keys) {
			target.binarySync().restore(key, 0, source.binarySync().dump(key));
			long expireAt = source.binarySync().pexpiretime(key);
			if (expireAt > 0) {
				target.binarySync().pexpireat(key, expireAt);
			}
		}
		byte[] changed = bytes("big:changed");
		byte[] expiring = bytes("big:expiring");
		for (int i = 0; i < 300; i++) {
			source.binarySync().rpush(changed, bytes("element" + i));
			target.binarySync().rpush(changed, bytes("element" + ((i == 299) ? "X" : i)));
			source.binarySync().rpush(expiring, bytes("element" + i));
			target.binarySync().rpush(expiring, bytes("element" + i));
		}
		target.binarySync().pexpire(expiring, 3_600_000);
		keys.add(changed);
		keys.add(expiring);
		long sourceDumps = CommandStats.of(source, "dump").calls();
		long targetDumps = CommandStats.of(target, "dump").calls();

		List<KeyVerdict> verdicts;
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection from = connector.connect(Endpoint.parse("source", source.uri()));
				RedisConnector.Connection to = connector.connect(Endpoint.parse("target", target.uri()))) {
			KeyVerifier verifier = new KeyVerifier((key) -> from.connection(), Endpoint.parse("source", source.uri()),
					(key) -> to.connection(), Endpoint.parse("target", target.uri()),
					new KeyVerifier.Options(TIMEOUT, Duration.ofSeconds(1), PrefixRenames.NONE, true,
							ServerClock.offsetMillis(from.connection()), true,
							ServerClock.offsetMillis(to.connection()), target.version()),
					1, (refusal) -> {
						throw new AssertionError(refusal);
					});
			verdicts = verifier.verify(keys);
		}

		assertThat(CommandStats.of(source, "dump").calls()).as("DUMPs on the source").isEqualTo(sourceDumps);
		assertThat(CommandStats.of(target, "dump").calls()).as("DUMPs on the target").isEqualTo(targetDumps);
		assertThat(verdicts.subList(0, keys.size() - 2)).allSatisfy(
				(verdict) -> assertThat(verdict.outcome()).as(verdict.toString()).isEqualTo(KeyVerdict.Outcome.EQUAL));
		assertThat(verdicts.get(keys.size() - 2).kind()).isEqualTo(DifferenceKind.VALUE);
		assertThat(verdicts.get(keys.size() - 1).kind()).isEqualTo(DifferenceKind.TTL);
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

}
