package io.keyferry.redis;

import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.Optional;

import io.keyferry.KeyferryException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.SlotHash;

/**
 * Reading a Redis Cluster source node by node: its topology, the node that serves a set
 * of slots now, and the identity of a node as the scanner of a set of slots. A SCAN
 * cursor of a node is only valid in that node's process; and a scan of a node covers a
 * set of slots only while the node serves all of them and none is being migrated. The
 * identity string says both: {@code nodeId@runId} when the node is a master serving every
 * slot of the set with none moving, otherwise a string starting with {@link #UNSTABLE}.
 * With {@link ReadFrom#REPLICA} a set of slots is scanned on a replica of its master: the
 * identity is then the replica's own {@code nodeId@runId}, while its master (as the
 * replica sees it) serves every slot of the set. Stateless; thread-safe.
 */
public final class ClusterSource {

	/**
	 * The start of the identity of a node that cannot be scanned for a set of slots now.
	 */
	public static final String UNSTABLE = "unstable: ";

	private ClusterSource() {
	}

	/**
	 * The topology as a node sees it.
	 * @param connection a connection to the node
	 * @return the topology
	 */
	public static ClusterNodes nodes(StatefulRedisConnection<byte[], byte[]> connection) {
		return ClusterNodes.parse(connection.sync().clusterNodes());
	}

	/**
	 * The topology as the node an endpoint names sees it, on a connection of its own.
	 * @param connector opens the connection
	 * @param seed a node of the cluster
	 * @return the topology
	 */
	public static ClusterNodes nodes(RedisConnector connector, Endpoint seed) {
		try (RedisConnector.Connection connection = connector.connect(seed)) {
			return nodes(connection.connection());
		}
	}

	/**
	 * The endpoint of the live master that serves every slot of a set now.
	 * @param connector opens the connection to the seed
	 * @param seed a node of the cluster (its credentials and TLS setting are kept)
	 * @param slots the slots
	 * @return the master's endpoint, or empty when no single master serves them all
	 */
	public static Optional<Endpoint> ownerEndpoint(RedisConnector connector, Endpoint seed, BitSet slots) {
		return scanNode(connector, seed, slots, ReadFrom.MASTER).map(ScanNode::endpoint);
	}

	/**
	 * The node a partition standing for a set of slots scans.
	 *
	 * @param endpoint the node's endpoint
	 * @param replica whether it is a replica of the master serving the slots (its
	 * connection must send {@code READONLY} before reading keys)
	 */
	public record ScanNode(Endpoint endpoint, boolean replica) {

	}

	/**
	 * The node to scan for a set of slots now: the live master that serves them all, or
	 * with {@link ReadFrom#REPLICA} the first of its replicas (by node id) that answers
	 * and whose link to the master is up ({@code master_link_status:up}), else the
	 * master.
	 * @param connector opens the connections
	 * @param seed the cluster's seed(s) (their credentials and TLS setting are kept)
	 * @param slots the slots
	 * @param readFrom master or replica
	 * @return the node, or empty when no single master serves them all
	 */
	public static Optional<ScanNode> scanNode(RedisConnector connector, Endpoint seed, BitSet slots,
			ReadFrom readFrom) {
		ClusterNodes topology = nodes(connector, seed);
		Optional<ClusterNodes.Node> owner = ownerOf(topology, slots);
		if (owner.isEmpty()) {
			return Optional.empty();
		}
		if (readFrom == ReadFrom.REPLICA) {
			for (ClusterNodes.Node replica : topology.replicasOf(owner.get())) {
				Endpoint endpoint = endpointOf(seed, replica);
				if (linkUp(connector, endpoint)) {
					return Optional.of(new ScanNode(endpoint, true));
				}
			}
		}
		return Optional.of(new ScanNode(endpointOf(seed, owner.get()), false));
	}

	/**
	 * Whether a replica answers and its link to its master is up.
	 */
	private static boolean linkUp(RedisConnector connector, Endpoint replica) {
		try (RedisConnector.Connection connection = connector.connect(replica)) {
			return connection.connection().sync().info("replication").lines().anyMatch("master_link_status:up"::equals);
		}
		catch (RuntimeException ex) {
			// gone or refusing: another replica, or the master, is scanned
			return false;
		}
	}

	/**
	 * The identity of the master behind a connection as the scanner of a set of slots.
	 * @param connection a connection to the node
	 * @param slots the slots its scan stands for
	 * @return {@code nodeId@runId}, or a reason starting with {@link #UNSTABLE}
	 */
	public static String identity(StatefulRedisConnection<byte[], byte[]> connection, BitSet slots) {
		return identity(connection, slots, false);
	}

	/**
	 * The identity of the node behind a connection as the scanner of a set of slots: a
	 * master serving them all with none being migrated, or with {@code replica} a replica
	 * whose master (in the replica's view) serves them all. (A node reports migrations
	 * only about itself, so a replica's view shows none of its master's: the pass checks
	 * every master's own view before it completes, see the layout's wait for stable
	 * slots.)
	 * @param connection a connection to the node
	 * @param slots the slots its scan stands for
	 * @param replica whether the node is scanned as a replica
	 * @return {@code nodeId@runId}, or a reason starting with {@link #UNSTABLE}
	 */
	public static String identity(StatefulRedisConnection<byte[], byte[]> connection, BitSet slots, boolean replica) {
		ClusterNodes view = nodes(connection);
		String runId = RedisConnector.runId(connection);
		ClusterNodes.Node me = view.myself()
			.orElseThrow(() -> new IllegalStateException("CLUSTER NODES does not mark the node that answered"));
		String id = me.id() + "@" + runId;
		ClusterNodes.Node owner = me;
		if (replica) {
			if (me.master()) {
				return UNSTABLE + "node " + me.address() + " (" + id + ") is no longer a replica";
			}
			Optional<ClusterNodes.Node> master = Optional.ofNullable(me.masterId()).flatMap(view::node);
			if (master.isEmpty() || !master.get().master() || master.get().failed()) {
				return UNSTABLE + "replica " + me.address() + " (" + id + ") has no live master";
			}
			owner = master.get();
		}
		else if (!me.master()) {
			return UNSTABLE + "node " + me.address() + " (" + id + ") is no longer a master";
		}
		String who = replica ? "the master " + owner.address() + " of replica " + me.address() + " (" + id + ")"
				: "node " + me.address() + " (" + id + ")";
		BitSet lost = (BitSet) slots.clone();
		lost.andNot(owner.slots());
		if (!lost.isEmpty()) {
			return UNSTABLE + who + " no longer serves slots " + ranges(lost);
		}
		BitSet moving = (BitSet) slots.clone();
		moving.and(owner.moving());
		if (!moving.isEmpty()) {
			return UNSTABLE + "slots " + ranges(moving) + " of node " + owner.address() + " are being migrated";
		}
		return id;
	}

	/**
	 * The identity of the node a partition reads keys from, on the very connection it
	 * reads them with: {@link #identity(StatefulRedisConnection, BitSet, boolean)}, and
	 * for a replica also whether the connection reads its slots' keys rather than
	 * redirecting to the master, as without {@code READONLY} (the copy would then take
	 * every key for one migrated since SCAN; the partition is scanned again instead).
	 * @param connection the partition's connection to the node
	 * @param slots the slots its scan stands for
	 * @param replica whether the node is scanned as a replica
	 * @return {@code nodeId@runId}, or a reason starting with {@link #UNSTABLE}
	 */
	public static String readerIdentity(StatefulRedisConnection<byte[], byte[]> connection, BitSet slots,
			boolean replica) {
		String id = identity(connection, slots, replica);
		if (replica && !id.startsWith(UNSTABLE) && redirectsReads(connection, slots)) {
			return UNSTABLE + "replica (" + id
					+ ") redirects reads of its slots to its master (READONLY is not in effect on the connection)";
		}
		return id;
	}

	/**
	 * Whether a replica's connection answers a read of a key in the slots with a redirect
	 * to its master, as it does without {@code READONLY}: the copy would take every key
	 * for one migrated since SCAN. Reads a key that cannot exist with {@code DUMP} (a
	 * command the copy needs anyway); a refusal of the key by the user's key patterns
	 * tells nothing, and is taken as no redirect.
	 */
	private static boolean redirectsReads(StatefulRedisConnection<byte[], byte[]> connection, BitSet slots) {
		byte[] key = keyIn(slots);
		if (key == null) {
			return false;
		}
		try {
			connection.sync().dump(key);
			return false;
		}
		catch (RedisCommandExecutionException ex) {
			String message = String.valueOf(ex.getMessage());
			return message.startsWith("MOVED ") || message.startsWith("ASK ");
		}
	}

	/**
	 * A key name in one of the slots, {@code keyferry:readonly-probe:{N}}, or
	 * {@code null} for no slot.
	 */
	static byte[] keyIn(BitSet slots) {
		if (slots.isEmpty()) {
			return null;
		}
		// every slot has such a key with n below 109,758 (checked for all 16384)
		for (int n = 0;; n++) {
			byte[] key = ("keyferry:readonly-probe:{" + n + "}").getBytes(StandardCharsets.US_ASCII);
			if (slots.get(SlotHash.getSlot(key))) {
				return key;
			}
		}
	}

	/**
	 * The live master that serves every slot of a set.
	 * @param topology the topology
	 * @param slots the slots
	 * @return the master, or empty when no single master serves them all
	 */
	public static Optional<ClusterNodes.Node> ownerOf(ClusterNodes topology, BitSet slots) {
		int first = slots.nextSetBit(0);
		if (first < 0) {
			return Optional.empty();
		}
		return topology.masterOf(first).filter((node) -> {
			BitSet rest = (BitSet) slots.clone();
			rest.andNot(node.slots());
			return rest.isEmpty();
		});
	}

	/**
	 * The endpoint of a node, with the credentials and TLS setting of the endpoint it was
	 * found through. A cluster has database 0 only.
	 * @param seed the endpoint given for the cluster
	 * @param node the node
	 * @return the node's endpoint
	 */
	public static Endpoint endpointOf(Endpoint seed, ClusterNodes.Node node) {
		return seed.atAnnouncedAddress(node.host(), node.port());
	}

	/**
	 * Slots as ranges, e.g. {@code 0-5460,5462}.
	 * @param slots the slots
	 * @return the ranges, empty for no slot
	 */
	public static String ranges(BitSet slots) {
		StringBuilder ranges = new StringBuilder();
		for (int start = slots.nextSetBit(0); start >= 0; start = slots.nextSetBit(start)) {
			int end = slots.nextClearBit(start) - 1;
			if (ranges.length() > 0) {
				ranges.append(',');
			}
			ranges.append(start);
			if (end > start) {
				ranges.append('-').append(end);
			}
			start = end + 1;
		}
		return ranges.toString();
	}

	/**
	 * Parses ranges written by {@link #ranges(BitSet)}.
	 * @param ranges the ranges
	 * @return the slots
	 */
	public static BitSet parseRanges(String ranges) {
		BitSet slots = new BitSet(ClusterNodes.SLOTS);
		for (String range : ranges.split(",")) {
			if (range.isEmpty()) {
				continue;
			}
			int dash = range.indexOf('-');
			if (dash < 0) {
				slots.set(Integer.parseInt(range));
			}
			else {
				slots.set(Integer.parseInt(range.substring(0, dash)), Integer.parseInt(range.substring(dash + 1)) + 1);
			}
		}
		return slots;
	}

	/**
	 * Fails unless the topology can be scanned: every slot served by a live master.
	 * @param topology the topology
	 * @param source the source (for the message)
	 */
	public static void checkServed(ClusterNodes topology, Endpoint source) {
		BitSet unserved = topology.unserved();
		if (!unserved.isEmpty()) {
			throw new KeyferryException(
					"source cluster " + source.redacted() + " does not serve slots " + ranges(unserved) + " now",
					"wait until the cluster is healthy (CLUSTER INFO cluster_state:ok); the run is resumable");
		}
	}

}
