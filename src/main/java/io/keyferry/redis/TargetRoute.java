package io.keyferry.redis;

import io.lettuce.core.api.StatefulRedisConnection;

/**
 * Where a key is written on the target: the one connection of a standalone server, or the
 * connection to the cluster master that serves the key's slot ({@link ClusterTarget}).
 * Owned by one writer thread.
 */
public interface TargetRoute {

	/**
	 * The connection to the server that serves a key now, as far as this route knows.
	 * @param key the key
	 * @return the connection
	 */
	StatefulRedisConnection<byte[], byte[]> connectionFor(byte[] key);

	/**
	 * The connection to a node named by a redirection ({@code MOVED}, {@code ASK}).
	 * @param address {@code host:port}
	 * @return the connection
	 */
	StatefulRedisConnection<byte[], byte[]> connectionAt(String address);

	/**
	 * Reads the topology again, after a redirection or a failure.
	 */
	void refresh();

	/**
	 * Whether this route follows a cluster's redirections.
	 * @return true for a cluster
	 */
	boolean cluster();

	/**
	 * The route of a standalone server.
	 * @param connection its connection
	 * @return the route
	 */
	static TargetRoute single(StatefulRedisConnection<byte[], byte[]> connection) {
		return new TargetRoute() {

			@Override
			public StatefulRedisConnection<byte[], byte[]> connectionFor(byte[] key) {
				return connection;
			}

			@Override
			public StatefulRedisConnection<byte[], byte[]> connectionAt(String address) {
				return connection;
			}

			@Override
			public void refresh() {
			}

			@Override
			public boolean cluster() {
				return false;
			}

		};
	}

}
