package io.keyferry.redis;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import io.lettuce.core.Range;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.sync.RedisCommands;

/**
 * Tells whether the target already holds the source's value of a key: the same DUMP
 * payload, or else the same content read by type (sets and hashes in a hash table
 * serialize in an order that depends on each server's hash seed, so equal values can have
 * different payloads). Used when a RESTORE without REPLACE meets an existing key, which
 * is also what happens when a resumed run re-reads keys it wrote before its checkpoint.
 * Thread-safe as its connections are.
 */
public final class ValueComparison {

	private final RedisCommands<byte[], byte[]> source;

	private final RedisCommands<byte[], byte[]> target;

	public ValueComparison(RedisCommands<byte[], byte[]> source, RedisCommands<byte[], byte[]> target) {
		this.source = source;
		this.target = target;
	}

	/**
	 * Compares the target's value of the dumped key with the source's.
	 * @param dump the key's dump from the source
	 * @return true when the target holds the same value
	 */
	public boolean targetHolds(KeyDump dump) {
		byte[] key = dump.key();
		byte[] existing = this.target.dump(key);
		if (existing == null) {
			return false;
		}
		if (Arrays.equals(existing, dump.payload())) {
			return true;
		}
		String type = this.target.type(key);
		if (!type.equals(this.source.type(key))) {
			return false;
		}
		return switch (type) {
			case "string" -> Arrays.equals(this.source.get(key), this.target.get(key));
			case "list" -> wrap(this.source.lrange(key, 0, -1)).equals(wrap(this.target.lrange(key, 0, -1)));
			case "set" ->
				new HashSet<>(wrap(this.source.smembers(key))).equals(new HashSet<>(wrap(this.target.smembers(key))));
			case "zset" -> scores(this.source.zrangeWithScores(key, 0, -1))
				.equals(scores(this.target.zrangeWithScores(key, 0, -1)));
			case "hash" -> wrap(this.source.hgetall(key)).equals(wrap(this.target.hgetall(key)));
			case "stream" -> entries(this.source.xrange(key, Range.create("-", "+")))
				.equals(entries(this.target.xrange(key, Range.create("-", "+"))));
			default -> false;
		};
	}

	private static List<ByteBuffer> wrap(java.util.Collection<byte[]> values) {
		return values.stream().map(ByteBuffer::wrap).toList();
	}

	private static Map<ByteBuffer, ByteBuffer> wrap(Map<byte[], byte[]> values) {
		Map<ByteBuffer, ByteBuffer> result = new HashMap<>();
		values.forEach((k, v) -> result.put(ByteBuffer.wrap(k), ByteBuffer.wrap(v)));
		return result;
	}

	private static Map<ByteBuffer, Double> scores(List<ScoredValue<byte[]>> values) {
		Map<ByteBuffer, Double> result = new HashMap<>();
		values.forEach((v) -> result.put(ByteBuffer.wrap(v.getValue()), v.getScore()));
		return result;
	}

	private static List<Object> entries(List<StreamMessage<byte[], byte[]>> messages) {
		return messages.stream().map((m) -> (Object) List.of(m.getId(), wrap(m.getBody()))).toList();
	}

}
