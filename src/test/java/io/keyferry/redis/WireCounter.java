package io.keyferry.redis;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * Counts what keyferry's connections write to the network: the flushes, the buffers and
 * the bytes that reach the head of each channel's pipeline, through a Netty handler
 * installed with Lettuce's public {@link NettyCustomizer} hook. A pipelined batch is
 * flushed once; a batch that went out command by command would show one flush per
 * command. Thread-safe.
 */
final class WireCounter implements NettyCustomizer {

	private final AtomicLong flushes = new AtomicLong();

	private final AtomicLong writes = new AtomicLong();

	private final AtomicLong bytes = new AtomicLong();

	/**
	 * Counts so far.
	 *
	 * @param flushes the flushes
	 * @param writes the buffers written
	 * @param bytes the bytes written
	 */
	record Counts(long flushes, long writes, long bytes) {

		Counts since(Counts before) {
			return new Counts(this.flushes - before.flushes, this.writes - before.writes, this.bytes - before.bytes);
		}

	}

	/** Command timeouts as keyferry sets them, or Lettuce's default (on). */
	enum Timeouts {

		KEYFERRY(RedisConnector.NO_COMMAND_TIMEOUTS),

		LETTUCE_DEFAULT(ClientOptions.DEFAULT_TIMEOUT_OPTIONS);

		private final TimeoutOptions options;

		Timeouts(TimeoutOptions options) {
			this.options = options;
		}

	}

	/**
	 * A connector whose connections this counter watches.
	 * @param timeout the connect timeout
	 * @param timeouts the command timeouts
	 * @return the connector
	 */
	RedisConnector connector(Duration timeout, Timeouts timeouts) {
		return new RedisConnector(timeout, timeouts.options, this);
	}

	Counts counts() {
		return new Counts(this.flushes.get(), this.writes.get(), this.bytes.get());
	}

	@Override
	public void afterChannelInitialized(Channel channel) {
		// first in the pipeline: sees the bytes as they go to the socket
		channel.pipeline().addFirst("keyferry-wire-counter", new ChannelOutboundHandlerAdapter() {

			@Override
			public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
				if (msg instanceof ByteBuf buffer) {
					WireCounter.this.writes.incrementAndGet();
					WireCounter.this.bytes.addAndGet(buffer.readableBytes());
				}
				ctx.write(msg, promise);
			}

			@Override
			public void flush(ChannelHandlerContext ctx) throws Exception {
				WireCounter.this.flushes.incrementAndGet();
				ctx.flush();
			}

		});
	}

}
