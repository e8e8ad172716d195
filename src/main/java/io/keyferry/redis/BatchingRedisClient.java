package io.keyferry.redis;

import java.net.SocketAddress;

import io.lettuce.core.ConnectionBuilder;
import io.lettuce.core.ConnectionEvents;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.resource.ClientResources;
import reactor.core.publisher.Mono;

/**
 * A {@link RedisClient} whose connections can take a {@link Pipeline.Batch}: through
 * Lettuce's hook for configuring each connection ({@link #connectionBuilder}), their
 * channels get a {@link BatchingCommandHandler} instead of the plain command handler, on
 * the first connect and on every reconnect. Everything else is Lettuce's own.
 */
final class BatchingRedisClient extends RedisClient {

	BatchingRedisClient(ClientResources resources, RedisURI uri) {
		super(resources, uri);
	}

	@Override
	protected void connectionBuilder(Mono<SocketAddress> socketAddressSupplier, ConnectionBuilder connectionBuilder,
			ConnectionEvents connectionEvents, RedisURI redisURI) {
		super.connectionBuilder(socketAddressSupplier, connectionBuilder, connectionEvents, redisURI);
		connectionBuilder.commandHandler(() -> new BatchingCommandHandler(connectionBuilder.clientOptions(),
				connectionBuilder.clientResources(), connectionBuilder.endpoint()));
	}

}
