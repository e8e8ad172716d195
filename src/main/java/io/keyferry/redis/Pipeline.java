package io.keyferry.redis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.internal.ExceptionFactory;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.output.VoidOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CompleteableCommand;
import io.lettuce.core.protocol.ProtocolKeyword;
import io.lettuce.core.protocol.RedisCommand;
import io.netty.buffer.ByteBuf;

/**
 * One batch of pipelined commands, encoded by the calling thread and handed to Lettuce
 * with one {@code dispatch(Collection)}, which writes them in order and flushes once.
 * <p>
 * Lettuce's own commands encode argument by argument into Netty's buffer on the
 * connection's event-loop thread (a dozen bounds-checked buffer calls per command). Here
 * the caller's thread writes the RESP frames of the whole batch into one byte array; each
 * command is a {@link Reply} whose encoding is one copy of its own slice of that array
 * (large values are copied from their own array instead of into the frame, so a batch
 * holds no second copy of its payloads), and that Lettuce's command handler stacks and
 * completes as usual. Because every command writes only its own bytes, a command Lettuce
 * does not write (cancelled before the write, or dropped on a disconnect) has no reply to
 * be mistaken for another's.
 * <p>
 * Only Lettuce's public API is used: the commands go through the connection's channel
 * writer, so its disconnected behaviour, reconnection, command timeouts (when enabled)
 * and, for a cluster connection, slot routing apply ({@link Reply#getArgs()} carries the
 * command's key).
 * <p>
 * Use: {@link #add add} the commands, {@link #send send} once, {@link #await await} the
 * batch, then read each {@link Reply#get() reply}. Replies complete on the event loop;
 * the rest is for one thread.
 */
public final class Pipeline {

	private static final ByteArrayCodec CODEC = ByteArrayCodec.INSTANCE;

	/** Arguments longer than this are copied from their own array, not into the frame. */
	static final int INLINE_LIMIT = 8 * 1024;

	private static final byte[] CRLF = { '\r', '\n' };

	private static final AtomicIntegerFieldUpdater<Pipeline> OPEN = AtomicIntegerFieldUpdater.newUpdater(Pipeline.class,
			"open");

	private final List<Reply<?>> replies;

	private final CountDownLatch ended = new CountDownLatch(1);

	private byte[] frame;

	private int size;

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
	 * Adds a command. Arguments are {@code byte[]} (keys and values, binary-safe),
	 * {@link Number} (written as a decimal integer), {@link ProtocolKeyword} or
	 * {@link String} (written as ASCII/UTF-8 text). The first {@code byte[]} argument is
	 * the command's key (as it is for every keyed command keyferry sends), which a
	 * cluster connection routes by.
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
		byte[] key = null;
		for (Object arg : args) {
			if (arg instanceof byte[] bytes) {
				if (key == null) {
					key = bytes;
				}
				if (body == null && bytes.length > INLINE_LIMIT) {
					writeCount('$', bytes.length);
					split = this.size;
					body = bytes;
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
		Reply<T> reply = new Reply<>(this, type, output, key, start, split, this.size, body);
		this.replies.add(reply);
		return reply;
	}

	/**
	 * Sends the commands in order with one {@code dispatch}, which flushes once, run on
	 * the connection's event loop (see {@link EventLoops}). Commands that cannot be
	 * written are failed (see {@link Reply#get()}), for instance while the connection is
	 * disconnected and rejects commands.
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
		// one command for Lettuce where the connection takes it (one stack entry, one
		// write,
		// one encoding pass), else one per command; from the channel's event loop either
		// way: no write task per command (see EventLoops)
		Batch batch = new Batch(this.replies);
		boolean asOne = EventLoops.batches(connection);
		EventLoops.run(connection, () -> {
			try {
				if (asOne) {
					connection.dispatch(batch);
				}
				else {
					connection.dispatch(this.replies);
				}
			}
			catch (RuntimeException ex) {
				batch.completeExceptionally(ex);
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

	/**
	 * A whole batch as one Lettuce command, for connections whose command handler is a
	 * {@link BatchingCommandHandler}: Lettuce stacks, writes and encodes it once, instead
	 * of once per command (a promise, a listener, a buffer and a pass through the
	 * channel's pipeline each), and the handler decodes its replies one after the other
	 * into its commands' outputs, completing each {@link Reply} as its reply arrives.
	 * <p>
	 * Written again after a reconnect (Lettuce re-sends the commands it has no reply
	 * for), it encodes only the commands without a reply yet, so replies keep matching
	 * commands. Its fields are used on the channel's event loop, except the terminal
	 * calls ({@code completeExceptionally}, {@code cancel}), which the replies' own state
	 * makes safe to race.
	 */
	static final class Batch implements RedisCommand<byte[], byte[], Void>, CompleteableCommand<Void> {

		private static final ProtocolKeyword TYPE = new ProtocolKeyword() {

			private final byte[] bytes = "KEYFERRY-PIPELINE".getBytes(StandardCharsets.US_ASCII);

			@Override
			public byte[] getBytes() {
				return this.bytes;
			}

			@Override
			public String toString() {
				return "KEYFERRY-PIPELINE";
			}

		};

		private final List<Reply<?>> commands;

		private final CommandOutput<byte[], byte[], Void> output = new VoidOutput<>(CODEC);

		/** The first command without a reply. */
		private int next;

		private volatile boolean ended;

		private volatile boolean cancelled;

		private BiConsumer<? super Void, Throwable> callback;

		Batch(List<Reply<?>> commands) {
			this.commands = commands;
		}

		/**
		 * Where the next reply is decoded.
		 * @return the output of the first command without a reply
		 */
		CommandOutput<?, ?, ?> nextOutput() {
			return this.commands.get(this.next).getOutput();
		}

		/**
		 * The next reply has been decoded: its command completes.
		 * @return whether it was the batch's last
		 */
		boolean replied() {
			Reply<?> reply = this.commands.get(this.next++);
			reply.complete();
			if (this.next < this.commands.size()) {
				return false;
			}
			end(null);
			return true;
		}

		@Override
		public void encode(ByteBuf buf) {
			for (int i = this.next; i < this.commands.size(); i++) {
				this.commands.get(i).encode(buf);
			}
		}

		@Override
		public CommandOutput<byte[], byte[], Void> getOutput() {
			return this.output;
		}

		@Override
		public void complete() {
			// each command completed as its reply came (replied)
			end(null);
		}

		@Override
		public boolean completeExceptionally(Throwable throwable) {
			if (this.ended) {
				return false;
			}
			for (Reply<?> reply : this.commands) {
				reply.completeExceptionally(throwable);
			}
			end(throwable);
			return true;
		}

		@Override
		public void cancel() {
			if (this.ended) {
				return;
			}
			this.cancelled = true;
			for (Reply<?> reply : this.commands) {
				reply.cancel();
			}
			end(new CancellationException("batch cancelled"));
		}

		private void end(Throwable failure) {
			BiConsumer<? super Void, Throwable> action;
			synchronized (this) {
				if (this.ended) {
					return;
				}
				this.ended = true;
				action = this.callback;
				this.callback = null;
			}
			if (action != null) {
				action.accept(null, failure);
			}
		}

		@Override
		public void onComplete(Consumer<? super Void> action) {
			onComplete((Void value, Throwable failure) -> {
				if (failure == null) {
					action.accept(value);
				}
			});
		}

		@Override
		public void onComplete(BiConsumer<? super Void, Throwable> action) {
			synchronized (this) {
				if (!this.ended) {
					BiConsumer<? super Void, Throwable> previous = this.callback;
					this.callback = (previous != null) ? (Void value, Throwable failure) -> {
						previous.accept(value, failure);
						action.accept(value, failure);
					} : action;
					return;
				}
			}
			action.accept(null, this.cancelled ? new CancellationException("batch cancelled") : null);
		}

		@Override
		public CommandArgs<byte[], byte[]> getArgs() {
			return new CommandArgs<>(CODEC);
		}

		@Override
		public ProtocolKeyword getType() {
			return TYPE;
		}

		@Override
		public boolean isCancelled() {
			return this.cancelled;
		}

		@Override
		public boolean isDone() {
			return this.ended;
		}

		@Override
		public void setOutput(CommandOutput<byte[], byte[], Void> output) {
			throw new UnsupportedOperationException("a batch's replies go to its commands' outputs");
		}

		@Override
		public String toString() {
			return "Pipeline.Batch[" + this.commands.size() + " commands, " + this.next + " replied]";
		}

	}

	/**
	 * One command of a batch, pre-encoded, and its reply. Lettuce's command handler
	 * stacks it, decodes its reply into its output and completes it on the event loop.
	 * Completion callbacks ({@link CompleteableCommand}) let Lettuce cancel its timer for
	 * the command when command timeouts are enabled.
	 *
	 * @param <T> the reply type
	 */
	public static final class Reply<T> implements RedisCommand<byte[], byte[], T>, CompleteableCommand<T> {

		private static final int PENDING = 0;

		private static final int FAILING = 1;

		private static final int DONE = 2;

		private static final int FAILED = 3;

		private static final int CANCELLED = 4;

		private static final AtomicIntegerFieldUpdater<Reply> STATE = AtomicIntegerFieldUpdater.newUpdater(Reply.class,
				"state");

		private final Pipeline pipeline;

		private final ProtocolKeyword type;

		private CommandOutput<byte[], byte[], T> output;

		private final byte[] key;

		private CommandArgs<byte[], byte[]> args;

		private BiConsumer<? super T, Throwable> callback;

		private final int start;

		private final int split;

		private final int end;

		private final byte[] body;

		private volatile int state;

		private Throwable failure;

		Reply(Pipeline pipeline, ProtocolKeyword type, CommandOutput<byte[], byte[], T> output, byte[] key, int start,
				int split, int end, byte[] body) {
			this.pipeline = pipeline;
			this.type = type;
			this.output = output;
			this.key = key;
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
				ended();
			}
		}

		@Override
		public boolean completeExceptionally(Throwable throwable) {
			if (!STATE.compareAndSet(this, PENDING, FAILING)) {
				return false;
			}
			this.failure = throwable;
			this.state = FAILED;
			ended();
			return true;
		}

		@Override
		public void cancel() {
			if (STATE.compareAndSet(this, PENDING, CANCELLED)) {
				ended();
			}
		}

		@Override
		public void onComplete(Consumer<? super T> action) {
			onComplete((T value, Throwable failure) -> {
				if (failure == null) {
					action.accept(value);
				}
			});
		}

		@Override
		public void onComplete(BiConsumer<? super T, Throwable> action) {
			synchronized (this) {
				if (this.state < DONE) {
					BiConsumer<? super T, Throwable> previous = this.callback;
					this.callback = (previous != null) ? (T value, Throwable failure) -> {
						previous.accept(value, failure);
						action.accept(value, failure);
					} : action;
					return;
				}
			}
			deliver(action);
		}

		private void ended() {
			try {
				notifyCallback();
			}
			finally {
				// the batch ends even if a callback fails
				this.pipeline.ended();
			}
		}

		private void notifyCallback() {
			BiConsumer<? super T, Throwable> action;
			synchronized (this) {
				action = this.callback;
				this.callback = null;
			}
			if (action != null) {
				deliver(action);
			}
		}

		private void deliver(BiConsumer<? super T, Throwable> action) {
			switch (this.state) {
				case DONE -> {
					String error = this.output.getError();
					if (error != null) {
						action.accept(null, ExceptionFactory.createExecutionException(error));
					}
					else {
						action.accept(this.output.get(), null);
					}
				}
				case FAILED -> action.accept(null, this.failure);
				default -> action.accept(null, new CancellationException(this.type + " cancelled"));
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

		/**
		 * The command's key, for Lettuce's routing (a cluster connection routes by the
		 * first key); the other arguments are encoded in the batch's frame already.
		 * @return the arguments Lettuce reads: the key, if the command has one
		 */
		@Override
		public CommandArgs<byte[], byte[]> getArgs() {
			CommandArgs<byte[], byte[]> result = this.args;
			if (result == null) {
				result = new CommandArgs<>(CODEC);
				if (this.key != null) {
					result.addKey(this.key);
				}
				this.args = result;
			}
			return result;
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
