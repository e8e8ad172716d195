package io.keyferry.redis;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisChannelWriter;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.internal.ExceptionFactory;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.DefaultEndpoint;
import io.lettuce.core.protocol.ProtocolKeyword;
import io.lettuce.core.protocol.RedisCommand;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * One batch of pipelined commands, encoded by the calling thread and sent as one write.
 * <p>
 * Lettuce's own commands encode argument by argument into Netty's buffer on the
 * connection's event-loop thread (a dozen bounds-checked buffer calls per command), and
 * its {@code dispatch(Collection)} makes one event-loop task, promise and listener per
 * command; on a small machine that cost more CPU than DUMP and RESTORE themselves. Here
 * the caller's thread writes the RESP frames of the whole batch into one byte array; each
 * command is a {@link Reply} that Lettuce's command handler stacks and completes as
 * usual, and whose encoding is one copy of its own slice of that array (large values are
 * copied from their own array instead of into the frame, so a batch holds no second copy
 * of its payloads). The batch goes to the channel as one message, which Lettuce's handler
 * accepts as a list of commands. Because every command writes only its own bytes, a
 * command Lettuce does not write (cancelled before the write, or dropped on a disconnect)
 * has no reply to be mistaken for another's.
 * <p>
 * The channel is read from Lettuce's {@link DefaultEndpoint} (a protected field; it
 * follows reconnects). When it cannot be read, or the channel is not active (for instance
 * while reconnecting), the batch goes through {@code dispatch}, which applies the
 * connection's disconnected behaviour.
 * <p>
 * Use: {@link #add add} the commands, {@link #send send} once, {@link #await await} the
 * batch, then read each {@link Reply#get() reply}. Replies complete on the event loop;
 * the rest is for one thread.
 */
public final class Pipeline {

	private static final Log logger = LogFactory.getLog(Pipeline.class);

	private static final Field CHANNEL = channelField();

	/** Arguments longer than this are copied from their own array, not into the frame. */
	static final int INLINE_LIMIT = 8 * 1024;

	private static final byte[] CRLF = { '\r', '\n' };

	private static final AtomicIntegerFieldUpdater<Pipeline> OPEN = AtomicIntegerFieldUpdater.newUpdater(Pipeline.class,
			"open");

	private final List<Reply<?>> replies;

	private final CountDownLatch ended = new CountDownLatch(1);

	private byte[] frame;

	private int size;

	/** Bytes of the large arguments written from their own arrays. */
	private long referencedBytes;

	private volatile int open;

	private boolean sent;

	/**
	 * Creates an empty batch.
	 * @param expectedCommands how many commands it will hold (a sizing hint)
	 */
	public Pipeline(int expectedCommands) {
		this.replies = new ArrayList<>(expectedCommands);
		this.frame = new byte[Math.max(256, Math.min(expectedCommands, 1 << 16) * 64)];
	}

	/**
	 * Whether batches go to the channel directly (else through {@code dispatch}).
	 * @return {@code true} when Lettuce's endpoint exposes its channel
	 */
	public static boolean isDirect() {
		return CHANNEL != null;
	}

	/**
	 * Adds a command. Arguments are {@code byte[]} (keys and values, binary-safe),
	 * {@link Number} (written as a decimal integer), {@link ProtocolKeyword} or
	 * {@link String} (written as ASCII/UTF-8 text).
	 * @param <T> the reply type
	 * @param type the command
	 * @param output decodes the reply
	 * @param args the arguments
	 * @return the command's reply, for {@link Reply#get()} after {@link #await}
	 */
	public <T> Reply<T> add(ProtocolKeyword type, CommandOutput<byte[], byte[], T> output, Object... args) {
		if (this.sent) {
			throw new IllegalStateException("the batch was sent");
		}
		int start = this.size;
		writeCount('*', args.length + 1);
		writeBulk(type.getBytes());
		int split = -1;
		byte[] body = null;
		for (Object arg : args) {
			if (arg instanceof byte[] bytes) {
				if (body == null && bytes.length > INLINE_LIMIT) {
					writeCount('$', bytes.length);
					split = this.size;
					body = bytes;
					this.referencedBytes += bytes.length;
					write(CRLF);
				}
				else {
					writeBulk(bytes);
				}
			}
			else if (arg instanceof Number number) {
				writeBulk(Long.toString(number.longValue()).getBytes(StandardCharsets.US_ASCII));
			}
			else if (arg instanceof ProtocolKeyword keyword) {
				writeBulk(keyword.getBytes());
			}
			else if (arg instanceof String text) {
				writeBulk(text.getBytes(StandardCharsets.UTF_8));
			}
			else {
				throw new IllegalArgumentException("unsupported argument type: " + arg);
			}
		}
		Reply<T> reply = new Reply<>(this, this.replies.size(), type, output, start, split, this.size, body);
		this.replies.add(reply);
		return reply;
	}

	/**
	 * Sends the commands in order, flushing once. Commands that cannot be written are
	 * failed (see {@link Reply#get()}).
	 * @param connection the connection
	 */
	public void send(StatefulRedisConnection<byte[], byte[]> connection) {
		if (this.sent) {
			throw new IllegalStateException("the batch was sent");
		}
		this.sent = true;
		this.open = this.replies.size();
		if (this.replies.isEmpty()) {
			this.ended.countDown();
			return;
		}
		Channel channel = activeChannel(connection);
		if (channel == null) {
			connection.dispatch(new ArrayList<RedisCommand<byte[], byte[], ?>>(this.replies));
			return;
		}
		List<RedisCommand<?, ?, ?>> batch = new ArrayList<>(this.replies);
		channel.writeAndFlush(batch).addListener((future) -> {
			if (!future.isSuccess()) {
				for (RedisCommand<?, ?, ?> command : batch) {
					command.completeExceptionally(future.cause());
				}
			}
		});
	}

	/**
	 * Waits until every command of the batch has ended (replied, failed or cancelled),
	 * with one thread wake-up for the whole batch.
	 * @param deadlineNanos the deadline ({@link System#nanoTime()})
	 * @return whether all ended before the deadline
	 * @throws InterruptedException when interrupted
	 */
	public boolean await(long deadlineNanos) throws InterruptedException {
		return this.ended.await(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
	}

	/**
	 * The commands added, in order.
	 * @return the replies
	 */
	public List<Reply<?>> replies() {
		return this.replies;
	}

	int encodedBytes() {
		return (int) Math.min(Integer.MAX_VALUE, this.size + this.referencedBytes);
	}

	private void ended() {
		if (OPEN.decrementAndGet(this) == 0) {
			this.ended.countDown();
		}
	}

	private void writeBulk(byte[] bytes) {
		writeCount('$', bytes.length);
		write(bytes);
		write(CRLF);
	}

	private void writeCount(char marker, long count) {
		ensure(24);
		byte[] f = this.frame;
		int at = this.size;
		f[at++] = (byte) marker;
		at = writeDigits(f, at, count);
		f[at++] = '\r';
		f[at++] = '\n';
		this.size = at;
	}

	private static int writeDigits(byte[] f, int at, long value) {
		if (value == 0) {
			f[at] = '0';
			return at + 1;
		}
		int digits = 0;
		for (long v = value; v != 0; v /= 10) {
			digits++;
		}
		for (int i = at + digits - 1; i >= at; i--) {
			f[i] = (byte) ('0' + (value % 10));
			value /= 10;
		}
		return at + digits;
	}

	private void write(byte[] bytes) {
		ensure(bytes.length);
		System.arraycopy(bytes, 0, this.frame, this.size, bytes.length);
		this.size += bytes.length;
	}

	private void ensure(int more) {
		if (this.size + more > this.frame.length) {
			this.frame = Arrays.copyOf(this.frame, Math.max(this.size + more, this.frame.length * 2));
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

	/**
	 * One command of a batch, pre-encoded, and its reply. Lettuce's command handler
	 * stacks it, decodes its reply into its output and completes it on the event loop.
	 *
	 * @param <T> the reply type
	 */
	public static final class Reply<T> implements RedisCommand<byte[], byte[], T> {

		private static final int PENDING = 0;

		private static final int FAILING = 1;

		private static final int DONE = 2;

		private static final int FAILED = 3;

		private static final int CANCELLED = 4;

		private static final AtomicIntegerFieldUpdater<Reply> STATE = AtomicIntegerFieldUpdater.newUpdater(Reply.class,
				"state");

		private final Pipeline pipeline;

		private final int index;

		private final ProtocolKeyword type;

		private CommandOutput<byte[], byte[], T> output;

		private final int start;

		private final int split;

		private final int end;

		private final byte[] body;

		private volatile int state;

		private Throwable failure;

		Reply(Pipeline pipeline, int index, ProtocolKeyword type, CommandOutput<byte[], byte[], T> output, int start,
				int split, int end, byte[] body) {
			this.pipeline = pipeline;
			this.index = index;
			this.type = type;
			this.output = output;
			this.start = start;
			this.split = split;
			this.end = end;
			this.body = body;
		}

		/**
		 * The reply, once the batch has been awaited. A command that has not ended is
		 * cancelled (its late reply is read and dropped).
		 * @return the decoded reply ({@code null} for a nil reply)
		 * @throws io.lettuce.core.RedisCommandExecutionException for an error reply
		 * @throws RedisCommandTimeoutException when no reply came in time
		 * @throws RedisException when the command could not be sent or the connection
		 * failed
		 */
		public T get() {
			int current = this.state;
			if (current == PENDING || current == FAILING) {
				cancel();
				current = this.state;
			}
			switch (current) {
				case DONE -> {
					String error = this.output.getError();
					if (error != null) {
						throw ExceptionFactory.createExecutionException(error);
					}
					return this.output.get();
				}
				case FAILED -> {
					Throwable cause = this.failure;
					if (cause instanceof RuntimeException runtime) {
						throw runtime;
					}
					throw new RedisException(this.type + " failed", cause);
				}
				default -> throw new RedisCommandTimeoutException("Command timed out: " + this.type);
			}
		}

		@Override
		public void encode(ByteBuf buf) {
			Pipeline batch = this.pipeline;
			if (this.index == 0) {
				// one buffer for the whole batch instead of growing it command by command
				buf.ensureWritable(batch.encodedBytes());
			}
			if (this.body == null) {
				buf.writeBytes(batch.frame, this.start, this.end - this.start);
			}
			else {
				buf.writeBytes(batch.frame, this.start, this.split - this.start);
				buf.writeBytes(this.body);
				buf.writeBytes(batch.frame, this.split, this.end - this.split);
			}
		}

		@Override
		public CommandOutput<byte[], byte[], T> getOutput() {
			return this.output;
		}

		@Override
		public void setOutput(CommandOutput<byte[], byte[], T> output) {
			this.output = output;
		}

		@Override
		public void complete() {
			if (STATE.compareAndSet(this, PENDING, DONE)) {
				this.pipeline.ended();
			}
		}

		@Override
		public boolean completeExceptionally(Throwable throwable) {
			if (!STATE.compareAndSet(this, PENDING, FAILING)) {
				return false;
			}
			this.failure = throwable;
			this.state = FAILED;
			this.pipeline.ended();
			return true;
		}

		@Override
		public void cancel() {
			if (STATE.compareAndSet(this, PENDING, CANCELLED)) {
				this.pipeline.ended();
			}
		}

		@Override
		public boolean isCancelled() {
			return this.state == CANCELLED;
		}

		@Override
		public boolean isDone() {
			return this.state >= DONE;
		}

		@Override
		public CommandArgs<byte[], byte[]> getArgs() {
			// the arguments are encoded already; nothing in Lettuce's path reads them for
			// the commands keyferry sends (only AUTH, SELECT and the like)
			return new CommandArgs<>(ByteArrayCodec.INSTANCE);
		}

		@Override
		public ProtocolKeyword getType() {
			return this.type;
		}

		@Override
		public String toString() {
			return "Pipeline.Reply[" + this.type + ", state " + this.state + "]";
		}

	}

}
