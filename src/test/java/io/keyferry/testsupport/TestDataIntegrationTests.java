package io.keyferry.testsupport;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link TestData}.
 */
@ExtendWith(RedisServerExtension.class)
class TestDataIntegrationTests {

	@Test
	void loadsKeysOfEveryTypeSomeWithTtl(RedisServer server) {
		List<byte[]> keys = TestData.keys(600).loadInto(server);

		RedisCommands<byte[], byte[]> redis = server.binarySync();
		assertThat(redis.dbsize()).isEqualTo(600);
		Map<String, Long> types = keys.stream().collect(Collectors.groupingBy(redis::type, Collectors.counting()));
		assertThat(types).containsOnly(Map.entry("string", 100L), Map.entry("hash", 100L), Map.entry("list", 100L),
				Map.entry("set", 100L), Map.entry("zset", 100L), Map.entry("stream", 100L));
		long volatileKeys = keys.stream().filter((key) -> redis.pttl(key) > 0).count();
		assertThat(volatileKeys).isBetween(120L, 240L);
		assertThat(keys.stream().map(redis::pttl)).allSatisfy((ttl) -> assertThat(ttl)
			.satisfiesAnyOf((t) -> assertThat(t).isEqualTo(-1), (t) -> assertThat(t).isBetween(1L, 3_600_000L)));
	}

	@Test
	void firstKeysHaveBinaryNames(RedisServer server) {
		List<byte[]> keys = TestData.keys(10).loadInto(server);

		assertThat(keys.get(0)).contains(0x00);
		assertThat(keys.get(1)).contains(0xff);
		assertThat(keys.get(2)).contains('\n');
		assertThat(KeyspaceComparison.printable(keys.get(2))).isEqualTo("kf:list:2:\\x0az");
		assertThat(server.binarySync().exists(keys.subList(0, 3).toArray(byte[][]::new))).isEqualTo(3);
	}

	@Test
	void coversCompactAndLargeEncodingsAndConsumerGroups(RedisServer server) {
		List<byte[]> keys = TestData.keys(120).ttlFraction(0).loadInto(server);
		Function<Integer, String> encoding = (index) -> server.binarySync().objectEncoding(keys.get(index));

		assertThat(TestData.typeOf(49)).isEqualTo(TestData.Type.HASH);
		assertThat(server.binarySync().hlen(keys.get(49))).isEqualTo(600);
		assertThat(encoding.apply(49)).isEqualTo("hashtable");
		assertThat(encoding.apply(7)).isIn("listpack", "ziplist");
		assertThat(TestData.typeOf(99)).isEqualTo(TestData.Type.SET);
		assertThat(encoding.apply(99)).isEqualTo("hashtable");
		assertThat(encoding.apply(3)).isEqualTo("intset");
		assertThat(TestData.typeOf(10)).isEqualTo(TestData.Type.ZSET);
		assertThat(encoding.apply(10)).isIn("listpack", "ziplist");
		assertThat(server.binarySync().xinfoGroups(keys.get(11))).hasSize(1);
		assertThat(server.binarySync().xinfoGroups(keys.get(5))).isEmpty();
	}

	@Test
	void sameSeedGivesSameContentOtherSeedDoesNot(RedisServer first, RedisServer second, RedisServer third) {
		TestData data = TestData.keys(300).seed(7);
		data.loadInto(first);
		data.loadInto(second);
		data.seed(8).loadInto(third);

		KeyspaceComparison.assertSameContent(first, second, Duration.ofSeconds(10));
		KeyspaceComparison otherSeed = KeyspaceComparison.compare(first, third, Duration.ofSeconds(10));
		assertThat(otherSeed.differences(KeyspaceComparison.Status.VALUE)).isNotEmpty();
	}

	@Test
	void loadsIntoTheOldServer(@RedisServerOptions(old = true) RedisServer old) {
		TestData.keys(60).loadInto(old);

		assertThat(old.sync().dbsize()).isEqualTo(60);
	}

	@Test
	void shortTtlsExpire(RedisServer server) throws InterruptedException {
		TestData.keys(50).ttlFraction(1).ttl(Duration.ofMillis(50), Duration.ofMillis(100)).loadInto(server);

		Thread.sleep(300);

		assertThat(server.sync().dbsize()).isZero();
	}

}
