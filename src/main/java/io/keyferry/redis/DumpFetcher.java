package io.keyferry.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.ByteArrayOutput;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;

/**
 * Reads DUMP and PTTL of many keys in one pipelined write. The commands go out as one
 * {@code dispatch} of a collection, so a shared connection is flushed once per batch
 * without touching its connection-wide auto-flush setting. Thread-safe: many threads may
 * fetch on one connection at once.
 */
public final class DumpFetcher {

	private static final ByteArrayCodec CODEC = ByteArrayCodec.INSTANCE;

	private final StatefulRedisConnection<byte[], byte[]> connection;

	private final Duration timeout;

	public DumpFetcher(StatefulRedisConnection<byte[], byte[]> connection, Duration timeout) {
		this.connection = connection;
		this.timeout = timeout;
	}

	/**
	 * Fetches the keys' payloads and TTLs.
	 * @param keys the keys
	 * @return one dump per key, in order
	 */
	public List<KeyDump> fetch(List<byte[]> keys) {
		int n = keys.size();
		if (n == 0) {
			return List.of();
		}
		List<AsyncCommand<byte[], byte[], byte[]>> dumps = new ArrayList<>(n);
		List<AsyncCommand<byte[], byte[], Long>> ttls = new ArrayList<>(n);
		List<RedisCommand<byte[], byte[], ?>> commands = new ArrayList<>(2 * n);
		for (byte[] key : keys) {
			AsyncCommand<byte[], byte[], byte[]> dump = new AsyncCommand<>(new Command<>(CommandType.DUMP,
					new ByteArrayOutput<>(CODEC), new CommandArgs<>(CODEC).addKey(key)));
			AsyncCommand<byte[], byte[], Long> ttl = new AsyncCommand<>(
					new Command<>(CommandType.PTTL, new IntegerOutput<>(CODEC), new CommandArgs<>(CODEC).addKey(key)));
			dumps.add(dump);
			ttls.add(ttl);
			commands.add(dump);
			commands.add(ttl);
		}
		long readAt = System.nanoTime();
		this.connection.dispatch(commands);
		long deadline = readAt + this.timeout.toNanos();
		List<KeyDump> result = new ArrayList<>(n);
		for (int i = 0; i < n; i++) {
			byte[] payload = await(dumps.get(i), deadline);
			Long pttl = await(ttls.get(i), deadline);
			result.add(new KeyDump(keys.get(i), payload, (pttl != null) ? pttl : -2, readAt));
		}
		return result;
	}

	static <T> T await(AsyncCommand<byte[], byte[], T> command, long deadlineNanos) {
		try {
			return command.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException ex) {
			command.cancel(false);
			throw new RedisCommandTimeoutException("Command timed out: " + command.getType());
		}
		catch (ExecutionException ex) {
			if (ex.getCause() instanceof RuntimeException runtime) {
				throw runtime;
			}
			throw new io.lettuce.core.RedisException(ex.getCause());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new io.lettuce.core.RedisException("interrupted");
		}
	}

}
