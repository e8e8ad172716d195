package io.keyferry.redis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.SlotHash;

/**
 * A Redis Cluster target: the slot map read from {@code CLUSTER NODES}, and a connection
 * per master, opened when first needed with the credentials and TLS setting of the seed.
 * Keys go to the master that serves their slot; a {@code MOVED} makes the writer
 * {@link #refresh()} the map and send the key again, an {@code ASK} sends it once to the
 * node named. Its identity is every master's {@code nodeId@runId}: when any master fails
 * over or restarts, the keys written to it may be lost, so the run writes again (DESIGN
 * invariant 10). Synchronized: the writer and the reader's identity checks of a partition
 * share it.
 */
public final class ClusterTarget implements TargetRoute, AutoCloseable {

	private final RedisConnector connector;

	private final Endpoint seed;

	private final Map<String, RedisConnector.Connection> connections = new HashMap<>();

	private final String[] owners = new String[ClusterNodes.SLOTS];

	private ClusterNodes topology;

	/** Where the slot map is read from: the seeds, then the masters known. */
	private final java.util.function.Supplier<ClusterNodes> views;

	/**
	 * Opens the seed's connection and reads the slot map.
	 * @param connector opens connections
	 * @param seed a node of the target cluster
	 */
	public ClusterTarget(RedisConnector connector, Endpoint seed) {
		this(connector, seed, null);
	}

	/**
	 * Reads the slot map from {@code views} (a node's view at some moment), or from the
	 * nodes when it is {@code null}.
	 */
	ClusterTarget(RedisConnector connector, Endpoint seed, java.util.function.Supplier<ClusterNodes> views) {
		this.connector = connector;
		this.seed = seed;
		this.views = (views != null) ? views : this::readTopology;
		refresh();
	}

	@Override
	public synchronized StatefulRedisConnection<byte[], byte[]> connectionFor(byte[] key) {
		String owner = this.owners[SlotHash.getSlot(key)];
		if (owner == null) {
			// no live master serves the slot now: the write fails as the cluster would
			// (CLUSTERDOWN), is retried with back-off, and the map is read again
			throw new RedisException("CLUSTERDOWN Hash slot " + SlotHash.getSlot(key) + " is not served now");
		}
		return connectionAt(owner);
	}

	@Override
	public synchronized StatefulRedisConnection<byte[], byte[]> connectionAt(String address) {
		RedisConnector.Connection connection = this.connections.get(address);
		if (connection == null) {
			int colon = address.lastIndexOf(':');
			Endpoint node = this.seed.atAnnouncedAddress(address.substring(0, colon),
					Integer.parseInt(address.substring(colon + 1)));
			connection = this.connector.connect(node);
			this.connections.put(address, connection);
		}
		return connection.connection();
	}

	@Override
	public synchronized void refresh() {
		ClusterNodes view = this.views.get();
		java.util.Arrays.fill(this.owners, null);
		for (ClusterNodes.Node master : view.masters()) {
			if (master.failed()) {
				continue;
			}
			String address = master.address();
			master.slots().stream().forEach((slot) -> this.owners[slot] = address);
		}
		this.topology = view;
	}

	/**
	 * The topology from the first node that answers: the seeds in their order, then the
	 * masters known.
	 */
	private ClusterNodes readTopology() {
		List<String> candidates = new ArrayList<>();
		this.seed.seeds().forEach((seed) -> candidates.add(seed.address()));
		if (this.topology != null) {
			this.topology.masters().forEach((node) -> candidates.add(node.address()));
		}
		RuntimeException failure = null;
		for (String address : candidates) {
			try {
				return ClusterSource.nodes(connectionAt(address));
			}
			catch (RuntimeException ex) {
				failure = (failure == null) ? ex : failure;
			}
		}
		throw RedisFailures.describe("target", this.seed, failure);
	}

	@Override
	public boolean cluster() {
		return true;
	}

	/**
	 * The identity of the processes that hold the target's data now: every master's
	 * {@code nodeId@runId}, in node id order.
	 * @return the identity
	 */
	public synchronized String identity() {
		refresh();
		StringBuilder identity = new StringBuilder();
		List<ClusterNodes.Node> masters = new ArrayList<>(this.topology.masters());
		masters.removeIf((node) -> node.slots().isEmpty());
		masters.sort(Comparator.comparing(ClusterNodes.Node::id));
		for (ClusterNodes.Node master : masters) {
			if (identity.length() > 0) {
				identity.append(',');
			}
			String runId = master.failed() ? "failed" : runIdOfMaster(master);
			identity.append(master.id()).append('@').append(runId);
		}
		return identity.toString();
	}

	/**
	 * The {@code run_id} of a node the map names as a master, which must still be one: a
	 * node can answer with the map from before a failover for a moment, and the old
	 * master's identity would then hide that its keys may be lost (a forced failover to a
	 * replica that lagged). Such a view fails like a lost connection (transient), so the
	 * check is retried on a map read again. Both sections are asked in one round trip.
	 */
	private String runIdOfMaster(ClusterNodes.Node master) {
		StatefulRedisConnection<byte[], byte[]> connection = connectionAt(master.address());
		RedisFuture<String> server = connection.async().info("server");
		RedisFuture<String> replication = connection.async().info("replication");
		long timeout = connection.getTimeout().toNanos();
		String runId = ServerInfo.parse(LettuceFutures.awaitOrCancel(server, timeout, TimeUnit.NANOSECONDS), 0).runId();
		if (!LettuceFutures.awaitOrCancel(replication, timeout, TimeUnit.NANOSECONDS)
			.lines()
			.anyMatch((line) -> line.strip().equals("role:master"))) {
			throw new RedisException("the target cluster's slot map is behind a failover: it names " + master.address()
					+ " (node " + master.id() + ") as a master, and that node is a replica now");
		}
		return runId;
	}

	/**
	 * The identity of the processes that hold a target's data now, on connections of
	 * their own: its {@code run_id}, or for a cluster every master's {@code nodeId@runId}
	 * (see {@link #identity()}).
	 * @param connector opens the connections
	 * @param target the target
	 * @return the identity
	 */
	public static String identityOf(RedisConnector connector, Endpoint target) {
		try (RedisConnector.Connection connection = connector.connect(target)) {
			ServerInfo info = RedisConnector.info(connection.connection(), target);
			if (!info.clusterEnabled()) {
				return info.runId();
			}
		}
		try (ClusterTarget cluster = new ClusterTarget(connector, target)) {
			return cluster.identity();
		}
	}

	/**
	 * The live masters that serve slots now, in node id order.
	 * @return the masters
	 */
	public synchronized List<ClusterNodes.Node> masters() {
		List<ClusterNodes.Node> masters = new ArrayList<>(this.topology.masters());
		masters.removeIf((node) -> node.failed() || node.slots().isEmpty());
		masters.sort(Comparator.comparing(ClusterNodes.Node::id));
		return masters;
	}

	/**
	 * The addresses of the masters this route has opened connections to.
	 * @return {@code host:port} each
	 */
	public synchronized List<String> connected() {
		return List.copyOf(this.connections.keySet());
	}

	@Override
	public synchronized void close() {
		RuntimeException failure = null;
		for (RedisConnector.Connection connection : this.connections.values()) {
			try {
				connection.close();
			}
			catch (RuntimeException ex) {
				failure = (failure == null) ? ex : failure;
			}
		}
		this.connections.clear();
		if (failure != null) {
			throw failure;
		}
	}

}
