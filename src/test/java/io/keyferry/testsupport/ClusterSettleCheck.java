package io.keyferry.testsupport;

import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.keyferry.testsupport.ClusterView.Entry;
import io.keyferry.testsupport.RedisCluster.Migration;
import io.keyferry.testsupport.RedisCluster.Node;

/**
 * Decides whether a {@link RedisCluster} has settled, from what its running nodes say
 * now: every running node knows every node and no other, agrees with the others on each
 * running node's role, master and slots, flags no running node and every stopped one as
 * failing, lists exactly the open migrations; no stopped master's slots wait for a
 * running replica to take over; every node reports {@code cluster_state:ok} when every
 * slot has a running master; every replica of a running master is attached and synced.
 * Not thread-safe: it talks over the nodes' fixture-owned connections.
 */
final class ClusterSettleCheck {

	private final List<Node> nodes;

	private final Collection<Migration> migrations;

	/**
	 * @param nodes every node of the cluster, running or not
	 * @param migrations the migrations that should be open
	 */
	ClusterSettleCheck(List<Node> nodes, Collection<Migration> migrations) {
		this.nodes = List.copyOf(nodes);
		this.migrations = List.copyOf(migrations);
	}

	/**
	 * Why the cluster has not settled, or {@code null} when it has.
	 * @param reference the view of the first running node
	 */
	String problem(ClusterView reference) {
		List<Node> running = this.nodes.stream().filter(Node::isRunning).toList();
		Node referenceNode = running.get(0);
		Set<String> ids = new HashSet<>();
		this.nodes.forEach((node) -> ids.add(node.id()));
		Map<String, Set<String>> expectedMigrations = expectedMigrations();
		for (Node node : running) {
			ClusterView view = (node == referenceNode) ? reference
					: ClusterView.parse(node.server().sync().clusterNodes());
			for (String id : view.entries().keySet()) {
				if (!ids.contains(id)) {
					return node + " knows a node this fixture did not start: " + id;
				}
			}
			for (Node other : this.nodes) {
				Optional<Entry> entry = view.entry(other.id());
				if (entry.isEmpty()) {
					return node + " does not know " + other;
				}
				if (!other.isRunning()) {
					if (!entry.get().failed()) {
						return node + " does not flag the stopped " + other + " as failed yet";
					}
					continue;
				}
				if (entry.get().unhealthy()) {
					return node + " flags " + other + " " + entry.get().flags();
				}
				String expected = reference.entry(other.id()).orElseThrow().agreement();
				if (!entry.get().agreement().equals(expected)) {
					return node + " sees " + entry.get().agreement() + " where " + referenceNode + " sees " + expected;
				}
			}
			Set<String> migrations = new HashSet<>(view.myself().migrations());
			if (!migrations.equals(expectedMigrations.getOrDefault(node.id(), Set.of()))) {
				return node + " lists the migrations " + migrations + ", expected "
						+ expectedMigrations.getOrDefault(node.id(), Set.of());
			}
		}
		BitSet served = new BitSet(ClusterView.SLOTS);
		for (Node node : this.nodes) {
			Entry entry = reference.entry(node.id()).orElseThrow();
			if (node.isRunning() && entry.master()) {
				served.or(entry.slots());
			}
			if (!node.isRunning() && entry.master() && !entry.slots().isEmpty()
					&& reference.replicasOf(node.id()).stream().map(this::node).anyMatch(Node::isRunning)) {
				return "no replica of the stopped " + node + " serves its slots yet";
			}
		}
		for (Node node : running) {
			Map<String, String> clusterInfo = fields(node.server().sync().clusterInfo());
			if (served.cardinality() == ClusterView.SLOTS && !"ok".equals(clusterInfo.get("cluster_state"))) {
				return node + " reports cluster_state:" + clusterInfo.get("cluster_state");
			}
			Entry entry = reference.entry(node.id()).orElseThrow();
			Node master = entry.replica() ? node(entry.masterId()) : null;
			if (master != null && master.isRunning()) {
				Map<String, String> replication = fields(node.server().sync().info("replication"));
				if (!"slave".equals(replication.get("role"))
						|| !Integer.toString(master.port()).equals(replication.get("master_port"))
						|| !"up".equals(replication.get("master_link_status"))
						|| !"0".equals(replication.get("master_sync_in_progress"))) {
					return "the replica " + node + " is not attached to " + master + " yet: role "
							+ replication.get("role") + ", master_port " + replication.get("master_port")
							+ ", master_link_status " + replication.get("master_link_status");
				}
			}
		}
		return null;
	}

	private Map<String, Set<String>> expectedMigrations() {
		Map<String, Set<String>> expected = new HashMap<>();
		for (Migration migration : this.migrations) {
			expected.computeIfAbsent(migration.from().id(), (id) -> new HashSet<>())
				.add("[" + migration.slot() + "->-" + migration.to().id() + "]");
			expected.computeIfAbsent(migration.to().id(), (id) -> new HashSet<>())
				.add("[" + migration.slot() + "-<-" + migration.from().id() + "]");
		}
		return expected;
	}

	private Node node(String id) {
		return this.nodes.stream()
			.filter((node) -> node.id().equals(id))
			.findFirst()
			.orElseThrow(() -> new IllegalStateException("no node of this fixture has the id " + id));
	}

	/** The {@code name:value} lines of an INFO or CLUSTER INFO reply. */
	static Map<String, String> fields(String reply) {
		Map<String, String> fields = new LinkedHashMap<>();
		for (String line : reply.split("\r?\n")) {
			int colon = line.indexOf(':');
			if (colon > 0 && !line.startsWith("#")) {
				fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
			}
		}
		return fields;
	}

}
