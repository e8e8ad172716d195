package io.keyferry.redis;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A Redis Cluster's topology as one node sees it ({@code CLUSTER NODES}): every node with
 * its address, role and slots, and the slots being migrated. Immutable.
 *
 * @param nodes the nodes, in the order of the reply
 */
public record ClusterNodes(List<Node> nodes) {

	/** Slots of a Redis Cluster. */
	public static final int SLOTS = 16384;

	/**
	 * One node.
	 *
	 * @param id the node id
	 * @param host the announced host (an IP unless hostnames are announced)
	 * @param port the announced port
	 * @param master whether it is a master
	 * @param failed whether it is flagged {@code fail}
	 * @param myself whether it is the node that answered
	 * @param masterId the id of its master, for a replica
	 * @param slots the slots it serves (masters)
	 * @param moving the slots it is migrating away or importing ({@code [slot->-id]},
	 * {@code [slot-<-id]}), as this node knows them
	 */
	public record Node(String id, String host, int port, boolean master, boolean failed, boolean myself,
			String masterId, BitSet slots, BitSet moving) {

		public String address() {
			return this.host + ":" + this.port;
		}

	}

	/**
	 * Parses the reply of {@code CLUSTER NODES}.
	 * @param reply the reply
	 * @return the topology
	 */
	public static ClusterNodes parse(String reply) {
		List<Node> nodes = new ArrayList<>();
		for (String line : reply.split("\r?\n")) {
			String[] fields = line.trim().split(" ");
			if (fields.length < 8) {
				continue;
			}
			String address = fields[1];
			int at = address.indexOf('@');
			String hostPort = (at >= 0) ? address.substring(0, at) : address;
			int colon = hostPort.lastIndexOf(':');
			String host = hostPort.substring(0, colon);
			int port = Integer.parseInt(hostPort.substring(colon + 1));
			Set<String> flags = Set.of(fields[2].split(","));
			BitSet slots = new BitSet(SLOTS);
			BitSet moving = new BitSet(SLOTS);
			for (int i = 8; i < fields.length; i++) {
				String field = fields[i];
				if (field.startsWith("[")) {
					// [slot->-node] migrating, [slot-<-node] importing
					int end = field.indexOf('-');
					moving.set(Integer.parseInt(field.substring(1, end)));
				}
				else if (field.contains("-")) {
					int dash = field.indexOf('-');
					slots.set(Integer.parseInt(field.substring(0, dash)),
							Integer.parseInt(field.substring(dash + 1)) + 1);
				}
				else if (!field.isEmpty()) {
					slots.set(Integer.parseInt(field));
				}
			}
			nodes.add(new Node(fields[0], host, port, flags.contains("master"),
					flags.contains("fail") || flags.contains("fail?") || flags.contains("noaddr"),
					flags.contains("myself"), "-".equals(fields[3]) ? null : fields[3], slots, moving));
		}
		return new ClusterNodes(List.copyOf(nodes));
	}

	/**
	 * The masters that serve slots, by their first slot.
	 * @return the masters
	 */
	public List<Node> masters() {
		return this.nodes.stream()
			.filter((n) -> n.master() && !n.failed() && !n.slots().isEmpty())
			.sorted(Comparator.comparingInt((Node n) -> n.slots().nextSetBit(0)))
			.toList();
	}

	/**
	 * The live replicas of a master, by node id.
	 * @param master the master
	 * @return the replicas not flagged as failed
	 */
	public List<Node> replicasOf(Node master) {
		return this.nodes.stream()
			.filter((n) -> !n.master() && !n.failed() && master.id().equals(n.masterId()))
			.sorted(Comparator.comparing(Node::id))
			.toList();
	}

	/**
	 * A node by its id.
	 * @param id the node id
	 * @return the node, if the topology has it
	 */
	public Optional<Node> node(String id) {
		return this.nodes.stream().filter((n) -> n.id().equals(id)).findFirst();
	}

	/**
	 * The node that answered.
	 * @return the node, if the reply marks it
	 */
	public Optional<Node> myself() {
		return this.nodes.stream().filter(Node::myself).findFirst();
	}

	/**
	 * The live master that serves a slot.
	 * @param slot the slot
	 * @return the master, if one serves it
	 */
	public Optional<Node> masterOf(int slot) {
		return this.nodes.stream().filter((n) -> n.master() && !n.failed() && n.slots().get(slot)).findFirst();
	}

	/**
	 * The slots no live master serves.
	 * @return the unserved slots
	 */
	public BitSet unserved() {
		BitSet served = new BitSet(SLOTS);
		masters().forEach((m) -> served.or(m.slots()));
		BitSet unserved = new BitSet(SLOTS);
		unserved.set(0, SLOTS);
		unserved.andNot(served);
		return unserved;
	}

}
