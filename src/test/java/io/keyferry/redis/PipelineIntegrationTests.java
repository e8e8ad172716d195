package io.keyferry.redis;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.ByteArrayOutput;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.output.KeyValueOutput;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandKeyword;
import io.lettuce.core.protocol.CommandType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Tests for {@link Pipeline} against a real server, through connections as keyferry
 * configures them (also with Lettuce's default command timeouts on): a batch goes to the
 * server with one flush, also when threads share a connection; commands encoded by the
 * caller reach the server byte for byte (binary keys, numbers, values large enough to be
 * written from their own array), replies complete the batch in order, error replies and
 * timeouts stay with their own command (a late reply is never taken for the next
 * command's), and a batch sent on a connection the server drops ends instead of hanging,
 * after which the reconnected connection works.
 */
@ExtendWith(RedisServerExtension.class)
class PipelineIntegrationTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	private static final ByteArrayCodec CODEC = ByteArrayCodec.INSTANCE;

	@ParameterizedTest
	@EnumSource(WireCounter.Timeouts.class)
	void aBatchGoesToTheServerWithOneFlush(WireCounter.Timeouts timeouts, RedisServer server) throws Exception {
		WireCounter wire = new WireCounter();
		byte[] large = new byte[Pipeline.INLINE_LIMIT * 2];
		Arrays.fill(large, (byte) '*');
		int commands = 1000;
		Pipeline batch = new Pipeline(commands);
		long expectedBytes = 0;
		for (int i = 0; i < commands; i++) {
			byte[] key = bytes("key:" + i);
			byte[] value = (i == commands / 2) ? large : bytes("value " + i);
			batch.add(CommandType.SET, new StatusOutput<>(CODEC), key, value, CommandKeyword.PX, 600_000L);
			expectedBytes += lettuceEncoding(CommandType.SET,
					new CommandArgs<>(CODEC).addKey(key).addValue(value).add(CommandKeyword.PX).add(600_000L));
		}
		try (RedisConnector connector = wire.connector(TIMEOUT, timeouts);
				RedisConnector.Connection connection = connector.connect(Endpoint.parse("target", server.uri()))) {
			WireCounter.Counts before = wire.counts();
			batch.send(connection.connection());

			assertThat(batch.await(deadline())).as("the batch ended").isTrue();
			WireCounter.Counts sent = wire.counts().since(before);
			for (Pipeline.Reply<?> reply : batch.replies()) {
				assertThat(reply.get()).isEqualTo("OK");
			}
			assertThat(sent.flushes()).as("flushes for one batch of %d commands", commands).isEqualTo(1);
			assertThat(sent.writes())
				.as("buffers encoded for one batch of %d commands: Lettuce took it as one command", commands)
				.isEqualTo(1);
			assertThat(sent.bytes()).as("bytes written: the batch's commands as Lettuce would encode them")
				.isEqualTo(expectedBytes);
		}
		assertThat(CommandStats.of(server, "set").calls()).isEqualTo(commands);
		assertThat(server.binarySync().get(bytes("key:" + commands / 2))).isEqualTo(large);
	}

	@ParameterizedTest
	@EnumSource(WireCounter.Timeouts.class)
	void batchesOfThreadsSharingAConnectionAreFlushedOncePerBatch(WireCounter.Timeouts timeouts, RedisServer server)
			throws Exception {
		WireCounter wire = new WireCounter();
		int threads = 4;
		int batchesPerThread = 25;
		int commands = 200;
		try (RedisConnector connector = wire.connector(TIMEOUT, timeouts);
				RedisConnector.Connection connection = connector.connect(Endpoint.parse("source", server.uri()))) {
			WireCounter.Counts before = wire.counts();
			ExecutorService executor = Executors.newFixedThreadPool(threads);
			try {
				List<Future<?>> done = new ArrayList<>();
				for (int t = 0; t < threads; t++) {
					byte[] key = bytes("counter:" + t);
					done.add(executor.submit(() -> {
						for (int b = 0; b < batchesPerThread; b++) {
							Pipeline batch = new Pipeline(commands);
							List<Pipeline.Reply<Long>> increments = new ArrayList<>();
							for (int i = 0; i < commands; i++) {
								increments.add(batch.add(CommandType.INCR, new IntegerOutput<>(CODEC), key));
							}
							batch.send(connection.connection());
							assertThat(batch.await(deadline())).isTrue();
							for (int i = 0; i < commands; i++) {
								assertThat(increments.get(i).get()).isEqualTo((long) b * commands + i + 1);
							}
						}
						return null;
					}));
				}
				for (Future<?> future : done) {
					future.get();
				}
			}
			finally {
				executor.shutdownNow();
			}
			assertThat(wire.counts().since(before).flushes()).as("flushes").isEqualTo(threads * batchesPerThread);
		}
		assertThat(CommandStats.of(server, "incr").calls()).isEqualTo((long) threads * batchesPerThread * commands);
	}

	@Test
	void completionCallbacksSeeTheReplyOrTheError(RedisServer server) throws Exception {
		// Lettuce's command timeouts cancel their timer through these callbacks
		server.sync().set("text", "not a number");
		List<String> seen = Collections.synchronizedList(new ArrayList<>());
		withConnection(server, (connection) -> {
			Pipeline batch = new Pipeline(2);
			Pipeline.Reply<Long> incremented = batch.add(CommandType.INCR, new IntegerOutput<>(CODEC), bytes("n"));
			Pipeline.Reply<Long> failing = batch.add(CommandType.INCR, new IntegerOutput<>(CODEC), bytes("text"));
			incremented.onComplete((Long value, Throwable failure) -> seen.add("incremented " + value + " " + failure));
			incremented.onComplete((Consumer<Long>) (value) -> seen.add("incremented " + value));
			failing.onComplete((Long value, Throwable failure) -> seen.add("failing " + value + " " + failure));
			failing.onComplete((Consumer<Long>) (value) -> seen.add("failing " + value));
			batch.send(connection);

			assertThat(batch.await(deadline())).isTrue();
			failing.onComplete((Long value, Throwable failure) -> seen.add("registered late " + failure));
		});
		assertThat(seen).containsExactly("incremented 1 null", "incremented 1",
				"failing null io.lettuce.core.RedisCommandExecutionException: ERR value is not an integer or out of range",
				"registered late io.lettuce.core.RedisCommandExecutionException: ERR value is not an integer or out of range");
	}

	@Test
	void aCommandCarriesItsKeyForRouting() {
		Pipeline batch = new Pipeline(2);
		byte[] key = { 'k', 0, (byte) 0xff };
		Pipeline.Reply<String> restore = batch.add(CommandType.RESTORE, new StatusOutput<>(CODEC), key, 0L,
				new byte[] { 1, 2 }, CommandKeyword.REPLACE);
		Pipeline.Reply<String> ping = batch.add(CommandType.PING, new StatusOutput<>(CODEC));

		assertThat(restore.getArgs().getFirstEncodedKey()).isEqualTo(ByteBuffer.wrap(key));
		assertThat(ping.getArgs().getFirstEncodedKey()).isNull();
	}

	@Test
	void repliesCompleteTheBatchInOrder(RedisServer server) throws Exception {
		withConnection(server, (connection) -> {
			Pipeline batch = new Pipeline(16);
			List<Pipeline.Reply<Long>> increments = new ArrayList<>();
			for (int i = 0; i < 5000; i++) {
				increments.add(batch.add(CommandType.INCR, new IntegerOutput<>(CODEC), bytes("counter")));
			}
			batch.send(connection);

			assertThat(batch.await(deadline())).as("the batch ended").isTrue();
			for (int i = 0; i < increments.size(); i++) {
				assertThat(increments.get(i).get()).as("reply %d", i).isEqualTo(i + 1L);
			}
			assertThat(server.sync().get("counter")).isEqualTo("5000");
		});
	}

	@Test
	void encodesBinaryKeysNumbersKeywordsAndLargeValuesExactly(RedisServer server) throws Exception {
		byte[] binaryKey = { 'k', 0, '\r', '\n', (byte) 0xff, '$', '*' };
		byte[] small = { 0, 1, '\r', '\n', (byte) 0x80 };
		byte[] large = new byte[Pipeline.INLINE_LIMIT * 3 + 7];
		for (int i = 0; i < large.length; i++) {
			large[i] = (byte) (i * 31);
		}
		byte[] empty = new byte[0];
		withConnection(server, (connection) -> {
			Pipeline batch = new Pipeline(1);
			Pipeline.Reply<String> setBinary = batch.add(CommandType.SET, new StatusOutput<>(CODEC), binaryKey, small);
			// a large value between a key and keywords: written from its own array
			Pipeline.Reply<String> setLarge = batch.add(CommandType.SET, new StatusOutput<>(CODEC), bytes("large"),
					large, CommandKeyword.PX, 600_000L);
			Pipeline.Reply<String> setEmpty = batch.add(CommandType.SET, new StatusOutput<>(CODEC), bytes("empty"),
					empty, "EX", 3600);
			Pipeline.Reply<Long> decrement = batch.add(CommandType.DECRBY, new IntegerOutput<>(CODEC),
					bytes("negative"), -1234567890123L);
			Pipeline.Reply<byte[]> readLarge = batch.add(CommandType.GET, new ByteArrayOutput<>(CODEC), bytes("large"));
			Pipeline.Reply<byte[]> missing = batch.add(CommandType.GET, new ByteArrayOutput<>(CODEC), bytes("nothing"));
			batch.send(connection);

			assertThat(batch.await(deadline())).isTrue();
			assertThat(setBinary.get()).isEqualTo("OK");
			assertThat(setLarge.get()).isEqualTo("OK");
			assertThat(setEmpty.get()).isEqualTo("OK");
			assertThat(decrement.get()).isEqualTo(1234567890123L);
			assertThat(readLarge.get()).isEqualTo(large);
			assertThat(missing.get()).isNull();
		});
		assertThat(server.binarySync().get(binaryKey)).isEqualTo(small);
		assertThat(server.binarySync().get(bytes("large"))).isEqualTo(large);
		assertThat(server.sync().pttl("large")).isBetween(1L, 600_000L);
		assertThat(server.binarySync().get(bytes("empty"))).isEqualTo(empty);
		assertThat(server.sync().ttl("empty")).isBetween(1L, 3600L);
		assertThat(server.sync().get("negative")).isEqualTo("1234567890123");
	}

	@Test
	void anErrorReplyBelongsToItsCommandOnly(RedisServer server) throws Exception {
		server.sync().set("text", "not a number");
		withConnection(server, (connection) -> {
			Pipeline batch = new Pipeline(3);
			Pipeline.Reply<Long> before = batch.add(CommandType.INCR, new IntegerOutput<>(CODEC), bytes("n"));
			Pipeline.Reply<Long> failing = batch.add(CommandType.INCR, new IntegerOutput<>(CODEC), bytes("text"));
			Pipeline.Reply<String> restore = batch.add(CommandType.RESTORE, new StatusOutput<>(CODEC), bytes("bad"), 0,
					new byte[] { 1, 2, 3 });
			Pipeline.Reply<Long> after = batch.add(CommandType.INCR, new IntegerOutput<>(CODEC), bytes("n"));
			batch.send(connection);

			assertThat(batch.await(deadline())).isTrue();
			assertThat(before.get()).isEqualTo(1L);
			assertThatThrownBy(failing::get).isInstanceOf(RedisCommandExecutionException.class)
				.hasMessageContaining("not an integer");
			assertThatThrownBy(restore::get).isInstanceOf(RedisCommandExecutionException.class)
				.hasMessageContaining("payload version or checksum");
			assertThat(after.get()).isEqualTo(2L);
		});
	}

	@Test
	void aLateReplyIsDroppedNotGivenToTheNextBatch(RedisServer server) throws Exception {
		server.sync().rpush("later", "value");
		withConnection(server, (connection) -> {
			// the server answers the BLPOP only after about a second
			Pipeline slow = new Pipeline(2);
			Pipeline.Reply<?> blocked = slow.add(CommandType.BLPOP, new KeyValueOutput<>(CODEC), bytes("empty"), 1);
			Pipeline.Reply<Long> behind = slow.add(CommandType.INCR, new IntegerOutput<>(CODEC), bytes("behind"));
			slow.send(connection);

			assertThat(slow.await(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100))).as("ended in 100 ms")
				.isFalse();
			assertThatThrownBy(blocked::get).isInstanceOf(RedisCommandTimeoutException.class);
			assertThatThrownBy(behind::get).isInstanceOf(RedisCommandTimeoutException.class);
			assertThat(blocked.isCancelled()).isTrue();

			// the next batch on the same connection gets its own replies, not the late
			// ones
			Pipeline next = new Pipeline(2);
			Pipeline.Reply<byte[]> popped = next.add(CommandType.LPOP, new ByteArrayOutput<>(CODEC), bytes("later"));
			Pipeline.Reply<Long> incremented = next.add(CommandType.INCR, new IntegerOutput<>(CODEC), bytes("next"));
			next.send(connection);
			assertThat(next.await(deadline())).isTrue();
			assertThat(popped.get()).isEqualTo(bytes("value"));
			assertThat(incremented.get()).isEqualTo(1L);
			assertThat(server.sync().get("behind")).isEqualTo("1");
		});
	}

	@Test
	void refusesArgumentsItCannotEncodeAndIsSentOnce(RedisServer server) throws Exception {
		withConnection(server, (connection) -> {
			Pipeline batch = new Pipeline(1);
			assertThatThrownBy(() -> batch.add(CommandType.ECHO, new StatusOutput<>(CODEC), new Object()))
				.isInstanceOf(IllegalArgumentException.class);
			Pipeline.Reply<String> ping = batch.add(CommandType.PING, new StatusOutput<>(CODEC));
			batch.send(connection);
			assertThatThrownBy(() -> batch.send(connection)).isInstanceOf(IllegalStateException.class);
			assertThatThrownBy(() -> batch.add(CommandType.PING, new StatusOutput<>(CODEC)))
				.isInstanceOf(IllegalStateException.class);
			assertThat(batch.await(deadline())).isTrue();
			assertThat(ping.get()).isEqualTo("PONG");

			Pipeline empty = new Pipeline(0);
			empty.send(connection);
			assertThat(empty.await(System.nanoTime())).as("an empty batch has ended").isTrue();
		});
	}

	@Test
	void aBatchOnADroppedConnectionEndsAndTheReconnectedConnectionWorks(RedisServer server) throws Exception {
		withConnection(server, (connection) -> {
			// a blocking command keeps the batch waiting while the server drops the
			// client
			long id = connection.sync().clientId();
			Pipeline batch = new Pipeline(2);
			batch.add(CommandType.BLPOP, new KeyValueOutput<>(CODEC), bytes("empty"), 5);
			batch.add(CommandType.INCR, new IntegerOutput<>(CODEC), bytes("dropped"));
			batch.send(connection);
			server.sync().clientKill(io.lettuce.core.KillArgs.Builder.id(id));

			// Lettuce either fails the batch or, reconnecting, sends it again (at least
			// once): either way every command ends, none waits forever
			assertThat(batch.await(deadline())).as("the batch ended").isTrue();
			for (Pipeline.Reply<?> reply : batch.replies()) {
				try {
					reply.get();
				}
				catch (RedisException ex) {
					assertThat(ex).isNotInstanceOf(RedisCommandTimeoutException.class);
				}
			}

			long deadline = deadline();
			Long reply = null;
			while (reply == null && System.nanoTime() < deadline) {
				// until reconnected, batches are rejected (the connection's disconnected
				// behaviour, through Lettuce's dispatch)
				Pipeline attempt = new Pipeline(1);
				Pipeline.Reply<Long> after = attempt.add(CommandType.INCR, new IntegerOutput<>(CODEC), bytes("after"));
				attempt.send(connection);
				try {
					assertThat(attempt.await(deadline())).isTrue();
					reply = after.get();
				}
				catch (RedisException ex) {
					assertThat(ex).isNotInstanceOf(RedisCommandTimeoutException.class);
					Thread.sleep(100);
				}
			}
			assertThat(reply).as("a batch after the reconnect").isNotNull();
		});
	}

	/**
	 * A test body given a binary connection to the server, through keyferry's connector.
	 */
	private interface WithConnection {

		void run(StatefulRedisConnection<byte[], byte[]> connection) throws Exception;

	}

	private static void withConnection(RedisServer server, WithConnection test) throws Exception {
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection connection = connector.connect(Endpoint.parse("target", server.uri()))) {
			test.run(connection.connection());
		}
	}

	private static int lettuceEncoding(CommandType type, CommandArgs<byte[], byte[]> args) {
		ByteBuf buffer = Unpooled.buffer();
		try {
			new Command<>(type, null, args).encode(buffer);
			return buffer.readableBytes();
		}
		finally {
			buffer.release();
		}
	}

	private static long deadline() {
		return System.nanoTime() + TIMEOUT.toNanos();
	}

	private static byte[] bytes(String text) {
		return Arrays.copyOf(text.getBytes(StandardCharsets.UTF_8), text.length());
	}

}
