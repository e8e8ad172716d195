package io.keyferry.redis;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicReference;

import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;

/**
 * Runs a batch's {@code dispatch} on the event loop of the connection's channel. Netty
 * writes a message given from another thread through a task of its own per message; from
 * the channel's event loop it writes at once. A batch of thousands of commands dispatched
 * from the writer thread thus costs thousands of tasks, and one from the event loop none.
 * Only public API: the channel is learned as Lettuce initialises it
 * ({@link NettyCustomizer#afterChannelInitialized}), during the connect that
 * {@link RedisConnector} runs one at a time. Where the channel is not known or no longer
 * active (a reconnection made a new one), the dispatch runs on the calling thread, as
 * Lettuce allows. Thread-safe.
 */
final class EventLoops implements NettyCustomizer {

	private static final Map<StatefulConnection<?, ?>, AtomicReference<Channel>> CHANNELS = Collections
		.synchronizedMap(new WeakHashMap<>());

	private final NettyCustomizer delegate;

	/** The channel of the connect under way, see {@link #connecting()}. */
	private volatile AtomicReference<Channel> connecting;

	EventLoops(NettyCustomizer delegate) {
		this.delegate = delegate;
	}

	/**
	 * Starts learning the channel of a connect: call while holding the connector's
	 * connect lock, then {@link #register} the connection it opened.
	 * @return where the channel will be
	 */
	AtomicReference<Channel> connecting() {
		AtomicReference<Channel> channel = new AtomicReference<>();
		this.connecting = channel;
		return channel;
	}

	/**
	 * Ends learning: the connection opened is known by its channel. Only
	 * {@link RedisConnector} registers connections, and it makes them with a
	 * {@link BatchingRedisClient}.
	 * @param connection the connection
	 * @param channel its channel, as learned
	 */
	void register(StatefulConnection<?, ?> connection, AtomicReference<Channel> channel) {
		this.connecting = null;
		CHANNELS.put(connection, channel);
	}

	/**
	 * Whether a connection takes a {@link Pipeline.Batch} as one command.
	 * @param connection the connection
	 * @return {@code true} when {@link RedisConnector} made it (with a
	 * {@link BatchingRedisClient})
	 */
	static boolean batches(StatefulConnection<?, ?> connection) {
		return CHANNELS.containsKey(connection);
	}

	@Override
	public void afterBootstrapInitialized(Bootstrap bootstrap) {
		this.delegate.afterBootstrapInitialized(bootstrap);
	}

	@Override
	public void afterChannelInitialized(Channel channel) {
		AtomicReference<Channel> pending = this.connecting;
		if (pending != null) {
			// the last one: a connect through Sentinel first opens (and closes) a channel
			// to a Sentinel, then the master's
			pending.set(channel);
		}
		this.delegate.afterChannelInitialized(channel);
	}

	/**
	 * Runs a task on the event loop of a connection's channel when it is known and
	 * active, otherwise at once on this thread.
	 * @param connection the connection
	 * @param task the task
	 */
	static void run(StatefulConnection<?, ?> connection, Runnable task) {
		AtomicReference<Channel> known = CHANNELS.get(connection);
		Channel channel = (known != null) ? known.get() : null;
		if (channel != null && channel.isActive() && !channel.eventLoop().inEventLoop()) {
			channel.eventLoop().execute(task);
		}
		else {
			task.run();
		}
	}

}
