package io.keyferry.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.output.KeyValueOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link Pipeline} against a real server: batches are written as one message on
 * Lettuce's channel, replies complete them in order, and a batch sent on a connection the
 * server drops ends (fails, or is sent again after the reconnect) instead of hanging,
 * after which the reconnected connection works.
 */
@ExtendWith(RedisServerExtension.class)
class PipelineIntegrationTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	private static final ByteArrayCodec CODEC = ByteArrayCodec.INSTANCE;

	@Test
	void writesBatchesToLettucesChannelDirectly() {
		// if a Lettuce upgrade hides the channel, batches silently fall back to the slow
		// path: this test says so
		assertThat(Pipeline.isDirect()).as("Pipeline reads DefaultEndpoint.channel").isTrue();
	}

	@Test
	void repliesCompleteTheBatchInOrder(RedisServer server) throws Exception {
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection connection = connector.connect(Endpoint.parse("target", server.uri()))) {
			List<AsyncCommand<byte[], byte[], Long>> increments = new ArrayList<>();
			for (int i = 0; i < 5000; i++) {
				increments.add(incr("counter"));
			}
			Pipeline.send(connection.connection(), increments);

			for (int i = 0; i < increments.size(); i++) {
				assertThat(increments.get(i).get(10, TimeUnit.SECONDS)).as("reply %d", i).isEqualTo(i + 1L);
			}
			assertThat(server.sync().get("counter")).isEqualTo("5000");
		}
	}

	@Test
	void aBatchOnADroppedConnectionEndsAndTheReconnectedConnectionWorks(RedisServer server) throws Exception {
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection connection = connector.connect(Endpoint.parse("target", server.uri()))) {
			// a blocking command keeps the batch waiting while the server drops the
			// client
			long id = connection.connection().sync().clientId();
			List<AsyncCommand<byte[], byte[], ?>> batch = new ArrayList<>();
			batch.add(new AsyncCommand<>(new Command<>(CommandType.BLPOP, new KeyValueOutput<>(CODEC),
					new CommandArgs<>(CODEC).addKey("empty".getBytes(StandardCharsets.UTF_8)).add(5))));
			batch.add(incr("dropped"));
			Pipeline.send(connection.connection(), batch);
			server.sync().clientKill(io.lettuce.core.KillArgs.Builder.id(id));

			// Lettuce either fails the batch or, reconnecting, sends it again (at least
			// once): either way every command ends, none waits forever
			for (AsyncCommand<byte[], byte[], ?> command : batch) {
				try {
					command.get(10, TimeUnit.SECONDS);
				}
				catch (ExecutionException ex) {
					assertThat(ex.getCause()).isNotNull();
				}
			}

			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
			Long reply = null;
			while (reply == null && System.nanoTime() < deadline) {
				// until reconnected, batches are rejected (the connection's disconnected
				// behaviour)
				List<AsyncCommand<byte[], byte[], Long>> attempt = List.of(incr("after"));
				try {
					Pipeline.send(connection.connection(), attempt);
					reply = attempt.get(0).get(10, TimeUnit.SECONDS);
				}
				catch (RuntimeException | ExecutionException ex) {
					Thread.sleep(100);
				}
			}
			assertThat(reply).as("a batch after the reconnect").isNotNull();
		}
	}

	private static AsyncCommand<byte[], byte[], Long> incr(String key) {
		return new AsyncCommand<>(new Command<>(CommandType.INCR, new IntegerOutput<>(CODEC),
				new CommandArgs<>(CODEC).addKey(key.getBytes(StandardCharsets.UTF_8))));
	}

}
