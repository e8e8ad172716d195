package io.keyferry.testsupport;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import io.keyferry.testsupport.KeyspaceComparison.Difference;
import io.keyferry.testsupport.KeyspaceComparison.Status;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RestoreArgs;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Tests for {@link KeyspaceComparison}, against a reference copy made with DUMP,
 * PEXPIRETIME and RESTORE ... REPLACE ABSTTL.
 */
@ExtendWith(RedisServerExtension.class)
class KeyspaceComparisonIntegrationTests {

	@Test
	void exactCopyIsTheSame(RedisServer source, RedisServer target) {
		TestData.keys(600).loadInto(source);

		copy(source, target);

		KeyspaceComparison comparison = KeyspaceComparison.compare(source, target, Duration.ofMillis(50));
		assertThat(comparison.isSame()).as(comparison.report()).isTrue();
		assertThat(comparison.sourceKeys()).isEqualTo(600);
		assertThat(comparison.targetKeys()).isEqualTo(600);
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void reportsMissingExtraChangedValueAndChangedTtl(RedisServer source, RedisServer target) {
		List<byte[]> keys = TestData.keys(60).ttlFraction(0).loadInto(source);
		RedisCommands<byte[], byte[]> sourceRedis = source.binarySync();
		sourceRedis.pexpire(keys.get(6), 600_000);
		sourceRedis.pexpire(keys.get(12), 600_000);
		copy(source, target);
		RedisCommands<byte[], byte[]> targetRedis = target.binarySync();

		targetRedis.del(keys.get(0));
		targetRedis.set(ascii("extra"), ascii("x"));
		targetRedis.set(keys.get(18), ascii("changed"));
		targetRedis.pexpire(keys.get(6), 300_000);
		targetRedis.persist(keys.get(12));
		targetRedis.pexpire(keys.get(24), 600_000);

		KeyspaceComparison comparison = KeyspaceComparison.compare(source, target, Duration.ofMillis(50));
		assertThat(comparison.differences()).extracting(Difference::status, Difference::printableKey)
			.containsExactlyInAnyOrder(tuple(Status.MISSING, "kf:string:0:\\x00z"), tuple(Status.EXTRA, "extra"),
					tuple(Status.VALUE, "kf:string:18"), tuple(Status.TTL, "kf:string:6"),
					tuple(Status.TTL, "kf:string:12"), tuple(Status.TTL, "kf:string:24"));
		assertThat(comparison.differences(Status.TTL)).extracting(Difference::detail)
			.anySatisfy((detail) -> assertThat(detail).startsWith("expiry differs by"))
			.anySatisfy((detail) -> assertThat(detail).endsWith("target persistent"))
			.anySatisfy((detail) -> assertThat(detail).startsWith("source persistent"));
		assertThatExceptionOfType(AssertionError.class)
			.isThrownBy(() -> KeyspaceComparison.assertSameContent(source, target))
			.withMessageContaining("differ in 6 places")
			.withMessageContaining("MISSING kf:string:0:\\x00z")
			.withMessageContaining("TTL kf:string:6: expiry differs by");
	}

	@Test
	void comparesHashTableEncodedValuesByContent(RedisServer source, RedisServer target) {
		RedisCommands<String, String> from = source.sync();
		RedisCommands<String, String> to = target.sync();
		for (int i = 0; i < 200; i++) {
			from.sadd("set", "member" + i);
			to.sadd("set", "member" + (199 - i));
			from.hset("hash", "field" + i, "v".repeat(100));
			to.hset("hash", "field" + (199 - i), "v".repeat(100));
		}
		from.set("type", "string");
		to.sadd("type", "string");
		assertThat(from.objectEncoding("set")).isEqualTo("hashtable");
		assertThat(from.objectEncoding("hash")).isEqualTo("hashtable");

		assertThat(KeyspaceComparison.compare(source, target, Duration.ofMillis(50)).differences())
			.extracting(Difference::toString)
			.containsExactly("VALUE type: types differ (source string, target set)");

		to.srem("set", "member7");
		to.hset("hash", "field3", "w");
		assertThat(KeyspaceComparison.compare(source, target, Duration.ofMillis(50)).differences())
			.extracting(Difference::toString)
			.containsExactly("VALUE hash: hash values differ", "VALUE set: set values differ",
					"VALUE type: types differ (source string, target set)");
	}

	@Test
	void expiryWithinToleranceIsTheSame(RedisServer source, RedisServer target) {
		byte[] key = ascii("k");
		long expireAt = System.currentTimeMillis() + 600_000;
		source.binarySync().set(key, ascii("v"));
		source.binarySync().pexpireat(key, expireAt);
		target.binarySync().set(key, ascii("v"));
		target.binarySync().pexpireat(key, expireAt + 30);

		assertThat(KeyspaceComparison.compare(source, target, Duration.ofMillis(50)).isSame()).isTrue();
		assertThat(KeyspaceComparison.compare(source, target, Duration.ofMillis(10)).differences())
			.extracting(Difference::status)
			.containsExactly(Status.TTL);
	}

	@Test
	void comparesOldServersWithPttl(@RedisServerOptions(old = true) RedisServer source,
			@RedisServerOptions(old = true) RedisServer target) {
		TestData.keys(120).loadInto(source);
		copy(source, target);

		KeyspaceComparison.assertSameContent(source, target, Duration.ofMillis(200));

		target.binarySync().del(TestData.keys(120).keyNames().get(100));
		assertThat(KeyspaceComparison.compare(source, target, Duration.ofMillis(200)).differences())
			.extracting(Difference::status)
			.containsExactly(Status.MISSING);
	}

	/**
	 * A reference copy: what keyferry does, without resuming, batching or error handling.
	 */
	private static void copy(RedisServer source, RedisServer target) {
		RedisCommands<byte[], byte[]> from = source.binarySync();
		RedisCommands<byte[], byte[]> to = target.binarySync();
		boolean pexpiretime = !source.version().startsWith("6.");
		ScanArgs args = ScanArgs.Builder.limit(100);
		KeyScanCursor<byte[]> cursor = from.scan(args);
		while (true) {
			for (byte[] key : cursor.getKeys()) {
				long expireAt = pexpiretime ? from.pexpiretime(key) : pttlToExpireAt(from.pttl(key));
				RestoreArgs restore = new RestoreArgs().replace();
				if (expireAt > 0) {
					restore.ttl(expireAt).absttl();
				}
				to.restore(key, from.dump(key), restore);
			}
			if (cursor.isFinished()) {
				return;
			}
			cursor = from.scan(cursor, args);
		}
	}

	private static long pttlToExpireAt(long pttl) {
		return (pttl > 0) ? System.currentTimeMillis() + pttl : pttl;
	}

	private static byte[] ascii(String value) {
		return value.getBytes(StandardCharsets.US_ASCII);
	}

}
