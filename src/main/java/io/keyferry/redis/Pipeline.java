package io.keyferry.redis;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisChannelWriter;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.DefaultEndpoint;
import io.lettuce.core.protocol.RedisCommand;
import io.netty.channel.Channel;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Sends a batch of commands as one write on the connection's channel. Lettuce's
 * {@code dispatch(Collection)} writes each command separately from the calling thread:
 * one event-loop task, one promise and one listener per command, which cost more CPU than
 * DUMP and RESTORE themselves on a small machine. Lettuce's own command handler also
 * accepts a list of commands as one message (stacked in order, encoded into one buffer),
 * so the batch goes to the channel directly: the handler puts every command on the
 * connection's stack as usual, replies complete them in order, and a failed write fails
 * all of them.
 * <p>
 * The channel is read from Lettuce's {@link DefaultEndpoint} (a protected field; it
 * follows reconnects). When it cannot be read, or the channel is not active (for instance
 * while reconnecting), the batch goes through {@code dispatch}, which applies the
 * connection's disconnected behaviour. Thread-safe.
 */
public final class Pipeline {

	private static final Log logger = LogFactory.getLog(Pipeline.class);

	private static final Field CHANNEL = channelField();

	private Pipeline() {
	}

	/**
	 * Whether batches go to the channel directly (else through {@code dispatch}).
	 * @return {@code true} when Lettuce's endpoint exposes its channel
	 */
	public static boolean isDirect() {
		return CHANNEL != null;
	}

	/**
	 * Sends the commands in order and flushes once.
	 * @param connection the connection
	 * @param commands the commands, completed by their replies
	 */
	public static void send(StatefulRedisConnection<byte[], byte[]> connection,
			List<? extends RedisCommand<byte[], byte[], ?>> commands) {
		Channel channel = activeChannel(connection);
		if (channel == null) {
			connection.dispatch(new ArrayList<RedisCommand<byte[], byte[], ?>>(commands));
			return;
		}
		List<RedisCommand<?, ?, ?>> batch = new ArrayList<>(commands);
		channel.writeAndFlush(batch).addListener((future) -> {
			if (!future.isSuccess()) {
				for (RedisCommand<?, ?, ?> command : batch) {
					command.completeExceptionally(future.cause());
				}
			}
		});
	}

	/**
	 * Waits until the last of the commands sent is done, quietly: replies on one
	 * connection arrive in order, so the commands before it are then done as well and
	 * reading them does not park the thread once per reply. Failures and timeouts are
	 * left to the caller, which reads every command with the same deadline.
	 * @param commands the commands, in the order sent
	 * @param deadlineNanos the batch's deadline ({@link System#nanoTime()})
	 */
	public static void awaitLast(List<? extends RedisCommand<byte[], byte[], ?>> commands, long deadlineNanos) {
		if (commands.isEmpty() || !(commands.get(commands.size() - 1) instanceof AsyncCommand<?, ?, ?> last)) {
			return;
		}
		try {
			last.await(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
		}
		catch (RuntimeException ex) {
			// the caller reads every reply and handles failures
		}
	}

	private static Channel activeChannel(StatefulRedisConnection<byte[], byte[]> connection) {
		if (CHANNEL == null) {
			return null;
		}
		if (!(connection instanceof RedisChannelHandler<?, ?> handler)) {
			return null;
		}
		RedisChannelWriter writer = handler.getChannelWriter();
		if (!(writer instanceof DefaultEndpoint)) {
			return null;
		}
		try {
			Channel channel = (Channel) CHANNEL.get(writer);
			return (channel != null && channel.isActive()) ? channel : null;
		}
		catch (IllegalAccessException ex) {
			return null;
		}
	}

	private static Field channelField() {
		try {
			Field field = DefaultEndpoint.class.getDeclaredField("channel");
			if (!Channel.class.isAssignableFrom(field.getType())) {
				logger.info("Lettuce's endpoint has no channel field; batches go through dispatch");
				return null;
			}
			field.setAccessible(true);
			return field;
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			logger.info("cannot read Lettuce's channel (" + ex + "); batches go through dispatch");
			return null;
		}
	}

}
