package io.keyferry.testsupport;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import io.lettuce.core.Consumer;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.XClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.XReadArgs.StreamOffset;
import io.lettuce.core.api.sync.RedisCommands;

/**
 * Values that a type-by-type copy must get right beyond {@link TestData}: streams with
 * consumer groups, consumers with and without pending entries (delivered more than once),
 * a stream whose last entries were deleted, an empty stream; a HyperLogLog and a bitmap
 * (strings); a string of several pieces and an empty one; sorted-set scores at infinity;
 * collections of several pages; a hash tag; expiry times. Each key starts with
 * {@code fb:}.
 */
public final class FallbackData {

	private FallbackData() {
	}

	/**
	 * Loads the keys.
	 * @param server the server
	 * @return the key names
	 */
	public static List<byte[]> loadInto(RedisServer server) {
		RedisCommands<byte[], byte[]> redis = server.binarySync();
		SplittableRandom random = new SplittableRandom(7);
		List<byte[]> keys = new ArrayList<>();

		byte[] stream = key("fb:stream:pending");
		for (int i = 1; i <= 40; i++) {
			redis.xadd(stream, new XAddArgs().id("5-" + i), Map.of(key("f"), key("v" + i), key("g"), key("w" + i)));
		}
		redis.xgroupCreate(StreamOffset.from(stream, "0-0"), key("g1"));
		redis.xgroupCreate(StreamOffset.from(stream, "5-10"), key("g2"));
		redis.xreadgroup(Consumer.from(key("g1"), key("c1")), XReadArgs.Builder.count(12),
				StreamOffset.lastConsumed(stream));
		redis.xreadgroup(Consumer.from(key("g1"), key("c2")), XReadArgs.Builder.count(5),
				StreamOffset.lastConsumed(stream));
		redis.xack(stream, key("g1"), "5-1", "5-2");
		// delivered again: a delivery count of 2 and 3
		redis.xclaim(stream, Consumer.from(key("g1"), key("c2")), XClaimArgs.Builder.minIdleTime(0), "5-3");
		redis.xclaim(stream, Consumer.from(key("g1"), key("c1")), XClaimArgs.Builder.minIdleTime(0), "5-3");
		redis.xgroupCreateconsumer(stream, Consumer.from(key("g1"), key("idle")));
		redis.xreadgroup(Consumer.from(key("g2"), key("c9")), XReadArgs.Builder.count(3),
				StreamOffset.lastConsumed(stream));
		redis.pexpire(stream, 3_600_000);
		keys.add(stream);

		byte[] trimmed = key("fb:stream:trimmed");
		for (int i = 1; i <= 5; i++) {
			redis.xadd(trimmed, new XAddArgs().id("9-" + i), Map.of(key("f"), key("v" + i)));
		}
		redis.xdel(trimmed, "9-4", "9-5");
		keys.add(trimmed);

		byte[] empty = key("fb:stream:empty");
		redis.xgroupCreate(StreamOffset.from(empty, "0-0"), key("waiting"), XGroupCreateArgs.Builder.mkstream());
		keys.add(empty);

		byte[] hll = key("fb:hll");
		for (int i = 0; i < 2000; i += 100) {
			byte[][] members = new byte[100][];
			for (int j = 0; j < 100; j++) {
				members[j] = key("visitor" + (i + j));
			}
			redis.pfadd(hll, members);
		}
		redis.pexpire(hll, 7_200_000);
		keys.add(hll);

		byte[] bitmap = key("fb:bitmap");
		redis.setbit(bitmap, 100_000, 1);
		redis.setbit(bitmap, 7, 1);
		keys.add(bitmap);

		byte[] big = key("fb:big-string");
		byte[] value = new byte[3 * 1024 * 1024 + 17];
		random.nextBytes(value);
		redis.set(big, value);
		redis.pexpire(big, 1_800_000);
		keys.add(big);

		// no hash tag, and a brace that makes {key} no hash tag either
		byte[] brace = key("fb:odd}name");
		redis.set(brace, key("closing brace"));
		keys.add(brace);

		byte[] emptyString = key("fb:empty-string");
		redis.set(emptyString, new byte[0]);
		keys.add(emptyString);

		byte[] zset = key("fb:zset:scores");
		redis.zadd(zset, ScoredValue.just(Double.NEGATIVE_INFINITY, key("low")),
				ScoredValue.just(Double.POSITIVE_INFINITY, key("high")), ScoredValue.just(0.1 + 0.2, key("sum")),
				ScoredValue.just(-0.0, key("zero")), ScoredValue.just(1e300, key("huge")));
		keys.add(zset);

		byte[] list = key("fb:{tagged}:list");
		for (int i = 0; i < 1500; i += 500) {
			byte[][] values = new byte[500][];
			for (int j = 0; j < 500; j++) {
				values[j] = key("item" + (i + j));
			}
			redis.rpush(list, values);
		}
		redis.pexpire(list, 5_400_000);
		keys.add(list);

		byte[] hash = key("fb:hash:large");
		Map<byte[], byte[]> fields = new LinkedHashMap<>();
		for (int i = 0; i < 1300; i++) {
			fields.put(key("field" + i), key("value" + i));
		}
		redis.hset(hash, fields);
		keys.add(hash);

		byte[] set = key("fb:set:large");
		byte[][] members = new byte[1100][];
		for (int i = 0; i < members.length; i++) {
			members[i] = key("member" + i);
		}
		redis.sadd(set, members);
		keys.add(set);
		return keys;
	}

	private static byte[] key(String name) {
		return name.getBytes(StandardCharsets.UTF_8);
	}

}
