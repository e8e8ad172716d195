package io.keyferry.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;

import io.keyferry.testsupport.ClusterView.Entry;
import io.lettuce.core.MigrateArgs;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;

/**
 * A real Redis Cluster of local redis-server processes on free loopback ports: masters
 * and replicas, each a {@link RedisServer} with {@code --cluster-enabled yes}, its own
 * directory and {@code nodes.conf}, created the way {@code redis-cli --cluster create}
 * creates one (its pauses left out); resharding, adding and removing nodes use
 * {@code redis-cli --cluster}. Every operation (creation, failover, resharding,
 * migration, kill, restart) returns once the cluster has settled: every running node
 * agrees on roles and slots, flags no running node and every stopped one as failing,
 * reports {@code cluster_state:ok} when every slot has a running master, every replica's
 * link to its master is up, and only the migrations this fixture opened are open. It
 * polls for that with a generous deadline and fails with each node's
 * {@code CLUSTER NODES} when it does not happen. Nodes are only ever signalled through
 * their own process handles. Not thread-safe: one test owns it.
 * <p>
 * For example, with {@link RedisClusterExtension} injecting a 3+1 source and a 4-master
 * target:<pre>{@code
 * List<byte[]> keys = TestData.keys(10_000).hashTags(20).loadInto(source);
 * Node master = source.masterOf(keys.get(0));
 * // ... start a copy from source.seedUri() to target.seedUri() ...
 * source.failover(master);
 * source.reshard(source.masters().get(1), source.masters().get(2), 100);
 * // ... let the copy finish ...
 * KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target));
 * }</pre>
 */
public final class RedisCluster implements AutoCloseable {

	/**
	 * How long an operation waits for the cluster to settle: generous, machines are
	 * loaded.
	 */
	static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(90);

	/**
	 * A manual failover the master does not agree to within 5 s is dropped: ask again.
	 */
	private static final Duration FAILOVER_RETRY = Duration.ofSeconds(15);

	private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

	private static final long POLL_MILLIS = 100;

	private static final int LOG_LINES = 8;

	private final List<Node> nodes;

	private final NodeSettings settings;

	private final RedisCli redisCli;

	private final Map<Integer, Migration> migrations = new TreeMap<>();

	private ClientResources clientResources;

	private RedisClusterClient client;

	private StatefulRedisClusterConnection<String, String> connection;

	private StatefulRedisClusterConnection<byte[], byte[]> binaryConnection;

	private Duration settleTimeout = SETTLE_TIMEOUT;

	private boolean closed;

	private RedisCluster(List<Node> nodes, NodeSettings settings, RedisCli redisCli) {
		this.nodes = new ArrayList<>(nodes);
		this.settings = settings;
		this.redisCli = redisCli;
	}

	/**
	 * Starts a cluster of 3 masters with 1 replica each, without persistence.
	 * @return the settled cluster
	 */
	public static RedisCluster start() {
		return builder().start();
	}

	public static Builder builder() {
		return new Builder();
	}

	/**
	 * The slot of a key: CRC16 of the key, or of its {@code {hash tag}}, modulo 16384.
	 * @param key the key
	 * @return the slot
	 */
	public static int slotOf(byte[] key) {
		return SlotHash.getSlot(key);
	}

	/**
	 * Every node the fixture started, running or not, in start order.
	 * @return the nodes
	 */
	public List<Node> nodes() {
		return List.copyOf(this.nodes);
	}

	/**
	 * The running masters, ordered by their first slot (masters without slots last).
	 * @return the masters
	 */
	public List<Node> masters() {
		ClusterView view = view();
		return running().stream()
			.filter((node) -> view.entry(node.id).map(Entry::master).orElse(false))
			.sorted(Comparator.comparingInt((Node node) -> firstSlot(view, node)).thenComparingInt(Node::port))
			.toList();
	}

	/**
	 * The running replicas.
	 * @return the replicas, in start order
	 */
	public List<Node> replicas() {
		ClusterView view = view();
		return running().stream().filter((node) -> view.entry(node.id).map(Entry::replica).orElse(false)).toList();
	}

	/**
	 * The running replicas of a master.
	 * @param master the master
	 * @return its replicas, in start order
	 */
	public List<Node> replicasOf(Node master) {
		List<String> ids = view().replicasOf(master.id);
		return running().stream().filter((node) -> ids.contains(node.id)).toList();
	}

	/**
	 * Whether a node is a master now.
	 * @param node the node
	 * @return whether the cluster sees it as a master
	 */
	public boolean isMaster(Node node) {
		return view().entry(node.id).map(Entry::master).orElse(false);
	}

	/**
	 * The slots a node serves now.
	 * @param node the node
	 * @return the slots, empty for a replica
	 */
	public SortedSet<Integer> slotsOf(Node node) {
		return view().slotsOf(node.id);
	}

	/**
	 * The master that serves a slot now.
	 * @param slot the slot
	 * @return the master
	 */
	public Node masterOf(int slot) {
		return view().ownerOf(slot)
			.map(this::node)
			.orElseThrow(() -> new IllegalStateException("no master serves slot " + slot + "\n" + describe()));
	}

	/**
	 * The master that serves a key's slot now.
	 * @param key the key
	 * @return the master
	 */
	public Node masterOf(byte[] key) {
		return masterOf(slotOf(key));
	}

	/**
	 * The URI of one running master, e.g. {@code redis://127.0.0.1:40123}, to give a
	 * client as its seed.
	 * @return the URI without credentials
	 */
	public String seedUri() {
		return masters().get(0).uri();
	}

	/**
	 * The URI of a node, e.g. {@code redis://127.0.0.1:40123}.
	 * @param node the node
	 * @return the URI without credentials
	 */
	public String uri(Node node) {
		return node.uri();
	}

	/**
	 * String commands over a cluster connection the fixture owns: routed by slot,
	 * following {@code MOVED} and {@code ASK}.
	 * @return synchronous commands
	 */
	public RedisAdvancedClusterCommands<String, String> sync() {
		checkOpen();
		if (this.connection == null || !this.connection.isOpen()) {
			this.connection = client().connect(StringCodec.UTF8);
		}
		return this.connection.sync();
	}

	/**
	 * Binary-safe commands ({@link ByteArrayCodec}) over a cluster connection the fixture
	 * owns: routed by slot, following {@code MOVED} and {@code ASK}.
	 * @return synchronous commands
	 */
	public RedisAdvancedClusterCommands<byte[], byte[]> binarySync() {
		checkOpen();
		if (this.binaryConnection == null || !this.binaryConnection.isOpen()) {
			this.binaryConnection = client().connect(ByteArrayCodec.INSTANCE);
		}
		return this.binaryConnection.sync();
	}

	/**
	 * A new binary-safe cluster connection that the caller owns and closes.
	 * @return the connection
	 */
	public StatefulRedisClusterConnection<byte[], byte[]> connect() {
		checkOpen();
		return client().connect(ByteArrayCodec.INSTANCE);
	}

	/**
	 * Fails a master over to one of its replicas with {@code CLUSTER FAILOVER} (the
	 * coordinated kind: the replica first catches up), and waits until the replica serves
	 * the master's slots and the old master is its replica.
	 * @param master a master with a running replica
	 * @return the new master
	 */
	public Node failover(Node master) {
		ClusterView before = awaitSettled("a settled cluster before failing over " + master, none());
		requireMaster(before, master);
		Node replica = before.replicasOf(master.id)
			.stream()
			.map(this::node)
			.filter(Node::isRunning)
			.findFirst()
			.orElseThrow(() -> new IllegalArgumentException(master + " has no running replica to fail over to"));
		SortedSet<Integer> slots = before.slotsOf(master.id);
		long deadline = deadline();
		while (!"master".equals(replica.server().info("role"))) {
			replica.server().sync().clusterFailover(false);
			long retryAt = System.nanoTime() + FAILOVER_RETRY.toNanos();
			while (!"master".equals(replica.server().info("role")) && System.nanoTime() < retryAt) {
				RedisServer.pause(POLL_MILLIS);
			}
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException(replica + " did not take over from " + master + " within "
						+ this.settleTimeout.toSeconds() + " s\n" + describe());
			}
		}
		awaitSettled(replica + " serving the slots of " + master, (view) -> {
			if (!view.entry(replica.id).map(Entry::master).orElse(false)) {
				return replica + " is no master yet";
			}
			if (!view.slotsOf(replica.id).equals(slots)) {
				return replica + " serves " + ClusterView.ranges(bits(view.slotsOf(replica.id))) + ", not "
						+ ClusterView.ranges(bits(slots));
			}
			if (!view.entry(master.id).map((entry) -> entry.masterId().equals(replica.id)).orElse(false)) {
				return master + " is no replica of " + replica + " yet";
			}
			return null;
		});
		return replica;
	}

	/**
	 * Moves slots with their keys from one master to another with
	 * {@code redis-cli --cluster reshard}, and waits until every node agrees.
	 * @param from the master that gives slots
	 * @param to the master that takes them
	 * @param slotCount how many slots
	 * @return the slots moved
	 */
	public SortedSet<Integer> reshard(Node from, Node to, int slotCount) {
		checkNoMigration();
		ClusterView before = awaitSettled("a settled cluster before resharding", none());
		requireMaster(before, from);
		requireMaster(before, to);
		SortedSet<Integer> fromBefore = before.slotsOf(from.id);
		if (from == to || slotCount < 1 || slotCount > fromBefore.size()) {
			throw new IllegalArgumentException(
					"cannot move " + slotCount + " of the " + fromBefore.size() + " slots of " + from + " to " + to);
		}
		String output = redisCli("reshard", from.cliAddress(), "--cluster-from", from.id, "--cluster-to", to.id,
				"--cluster-slots", Integer.toString(slotCount), "--cluster-yes");
		SortedSet<Integer> moved = new TreeSet<>(fromBefore);
		moved.removeAll(ClusterView.parse(from.server().sync().clusterNodes()).slotsOf(from.id));
		if (moved.size() != slotCount) {
			throw new IllegalStateException("redis-cli moved " + moved.size() + " slots instead of " + slotCount + ":\n"
					+ output + "\n" + describe());
		}
		SortedSet<Integer> fromAfter = new TreeSet<>(fromBefore);
		fromAfter.removeAll(moved);
		SortedSet<Integer> toAfter = new TreeSet<>(before.slotsOf(to.id));
		toAfter.addAll(moved);
		awaitSettled(slotCount + " slots moved from " + from + " to " + to, (view) -> {
			if (!view.slotsOf(from.id).equals(fromAfter) || !view.slotsOf(to.id).equals(toAfter)) {
				return "the slots have not moved yet";
			}
			return null;
		});
		return Collections.unmodifiableSortedSet(moved);
	}

	/**
	 * Starts a new node and adds it to the cluster as a master without slots
	 * ({@code redis-cli --cluster add-node}); {@link #reshard} gives it slots.
	 * @return the new master
	 */
	public Node addMaster() {
		checkNoMigration();
		awaitSettled("a settled cluster before adding a master", none());
		Node entry = masters().get(0);
		Node node = this.settings.start();
		this.nodes.add(node);
		try {
			redisCli("add-node", node.cliAddress(), entry.cliAddress());
		}
		catch (RuntimeException ex) {
			this.nodes.remove(node);
			node.server().close();
			throw ex;
		}
		awaitSettled(node + " added as a master",
				(view) -> view.entry(node.id).map(Entry::master).orElse(false) ? null : node + " is no master yet");
		return node;
	}

	/**
	 * Removes a node that serves no slots from the cluster
	 * ({@code redis-cli --cluster del-node}: the others forget it; the replicas of a
	 * removed master are given another master), then stops it and deletes its directory.
	 * It is no longer one of {@link #nodes()}.
	 * @param node a running node without slots
	 */
	public void removeNode(Node node) {
		checkNoMigration();
		ClusterView before = awaitSettled("a settled cluster before removing " + node, none());
		if (!node.isRunning() || !before.slotsOf(node.id).isEmpty()) {
			throw new IllegalArgumentException(node + " is not running or still serves slots: reshard them away first");
		}
		Node entry = masters().stream()
			.filter((master) -> master != node)
			.findFirst()
			.orElseThrow(() -> new IllegalStateException("no other master to ask"));
		redisCli("del-node", entry.cliAddress(), node.id);
		this.nodes.remove(node);
		node.server().kill();
		node.server().close();
		awaitSettled(node + " removed", none());
	}

	/**
	 * Starts moving a slot and leaves it half moved: {@code MIGRATING} on {@code from},
	 * {@code IMPORTING} on {@code to}, half of its keys (rounded down) moved with
	 * MIGRATE. {@code from} then answers {@code ASK} for the moved keys.
	 * @param slot the slot
	 * @param from the master that serves it
	 * @param to another master
	 * @return the open migration, for {@link #finishMigration(Migration)}
	 */
	public Migration beginMigration(int slot, Node from, Node to) {
		return beginMigration(slot, from, to, (int) (from.server().sync().clusterCountKeysInSlot(slot) / 2));
	}

	/**
	 * Starts moving a slot and leaves it with some keys moved: {@code MIGRATING} on
	 * {@code from}, {@code IMPORTING} on {@code to}.
	 * @param slot the slot
	 * @param from the master that serves it
	 * @param to another master
	 * @param keysToMove how many of its keys to move now
	 * @return the open migration, for {@link #finishMigration(Migration)}
	 */
	public Migration beginMigration(int slot, Node from, Node to, int keysToMove) {
		ClusterView before = awaitSettled("a settled cluster before migrating slot " + slot, none());
		requireMaster(before, to);
		if (!before.ownerOf(slot).equals(Optional.of(from.id)) || from == to) {
			throw new IllegalArgumentException(
					"slot " + slot + " is served by " + before.ownerOf(slot).map(this::node).orElse(null) + ", not "
							+ from + ", or " + to + " is the same node");
		}
		List<byte[]> keys = keysInSlot(from, slot);
		if (keysToMove < 0 || keysToMove > keys.size()) {
			throw new IllegalArgumentException(
					"slot " + slot + " has " + keys.size() + " keys, cannot move " + keysToMove);
		}
		to.server().sync().clusterSetSlotImporting(slot, from.id);
		from.server().sync().clusterSetSlotMigrating(slot, to.id);
		this.migrations.put(slot, new Migration(slot, from, to, List.of(), List.copyOf(keys)));
		List<byte[]> moved = keys.subList(0, keysToMove);
		migrate(from, to, moved);
		Migration migration = new Migration(slot, from, to, List.copyOf(moved),
				List.copyOf(keys.subList(keysToMove, keys.size())));
		this.migrations.put(slot, migration);
		awaitSettled("slot " + slot + " migrating from " + from + " to " + to, none());
		return migration;
	}

	/**
	 * Moves the rest of a migrating slot's keys and gives the slot to its new master on
	 * every master ({@code CLUSTER SETSLOT ... NODE}), then waits until all agree.
	 * @param migration the migration {@link #beginMigration} opened
	 */
	public void finishMigration(Migration migration) {
		if (this.migrations.get(migration.slot()) != migration) {
			throw new IllegalArgumentException("slot " + migration.slot() + " has no open migration " + migration);
		}
		int slot = migration.slot();
		Node from = migration.from();
		Node to = migration.to();
		List<byte[]> keys = keysInSlot(from, slot);
		while (!keys.isEmpty()) {
			migrate(from, to, keys);
			keys = keysInSlot(from, slot);
		}
		to.server().sync().clusterSetSlotNode(slot, to.id);
		from.server().sync().clusterSetSlotNode(slot, to.id);
		for (Node master : masters()) {
			if (master != from && master != to) {
				master.server().sync().clusterSetSlotNode(slot, to.id);
			}
		}
		this.migrations.remove(slot);
		awaitSettled("slot " + slot + " served by " + to,
				(view) -> view.ownerOf(slot).equals(Optional.of(to.id)) ? null : "slot " + slot + " has not moved yet");
	}

	/**
	 * Kills a node with SIGKILL and waits until the others flag it as failed and, if it
	 * was a master with a running replica, until a replica serves its slots. (To kill
	 * without waiting, kill {@link Node#server()}.)
	 * @param node the node
	 */
	public void kill(Node node) {
		node.server().kill();
		awaitSettled(node + " killed", none());
	}

	/**
	 * Restarts a node and waits until it is back in the cluster. With persistence it
	 * shuts down with {@code SHUTDOWN SAVE} and loads its data again; without, it stops
	 * and starts empty (a master without a replica to take over loses its keys, as a real
	 * one would). Its node id and cluster configuration ({@code nodes.conf}) are kept.
	 * @param node the node, running or killed
	 */
	public void restart(Node node) {
		if (this.settings.persistence()) {
			node.server().restart();
		}
		else {
			node.server().stop();
			deleteData(node);
			node.server().restart();
		}
		awaitSettled(node + " back in the cluster", none());
	}

	/**
	 * Waits until every running replica has received everything its master wrote
	 * (replication offsets equal), e.g. before killing a master whose data must survive.
	 */
	public void awaitReplicated() {
		awaitSettled("every replica caught up with its master", (view) -> {
			for (Node replica : running()) {
				Entry entry = view.entry(replica.id).orElseThrow();
				Node master = entry.replica() ? node(entry.masterId()) : null;
				if (master == null || !master.isRunning()) {
					continue;
				}
				String masterOffset = master.server().info("master_repl_offset");
				String replicaOffset = replica.server().info("slave_repl_offset");
				if (!masterOffset.equals(replicaOffset)) {
					return replica + " is at offset " + replicaOffset + " of " + masterOffset;
				}
			}
			return null;
		});
	}

	/**
	 * Waits until the cluster has settled (see the class description), e.g. after a test
	 * signalled a node itself.
	 */
	public void awaitSettled() {
		awaitSettled("a settled cluster", none());
	}

	/**
	 * How long operations wait for the cluster to settle from now on.
	 * @param settleTimeout the deadline (default 90 s)
	 */
	void settleTimeout(Duration settleTimeout) {
		this.settleTimeout = settleTimeout;
	}

	/**
	 * Each node's {@code CLUSTER NODES} and the end of its log, for failure messages.
	 * @return the description
	 */
	public String describe() {
		StringBuilder text = new StringBuilder();
		for (Node node : this.nodes) {
			text.append("--- ").append(node).append(node.isRunning() ? "" : " (stopped)").append(" ---\n");
			if (node.isRunning()) {
				try {
					text.append(node.server().sync().clusterNodes().stripTrailing()).append('\n');
				}
				catch (RuntimeException ex) {
					text.append("CLUSTER NODES failed: ").append(ex.getMessage()).append('\n');
				}
			}
			List<String> log = node.server().log().lines().toList();
			text.append("log:\n");
			log.subList(Math.max(0, log.size() - LOG_LINES), log.size())
				.forEach((line) -> text.append("  ").append(line).append('\n'));
		}
		return text.toString();
	}

	/**
	 * Stops every node (SIGKILL to its own process) and deletes their directories.
	 * Idempotent.
	 */
	@Override
	public void close() {
		if (this.closed) {
			return;
		}
		this.closed = true;
		RuntimeException failure = null;
		try {
			closeConnections();
			if (this.client != null) {
				this.client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
				// Its own resources: their timers (e.g. a handshake timeout of a
				// reconnect to
				// a killed node) must not fire after the client is gone.
				this.clientResources.shutdown(0, 2, TimeUnit.SECONDS);
			}
		}
		catch (RuntimeException ex) {
			failure = ex;
		}
		for (Node node : this.nodes) {
			try {
				// No graceful shutdown: a master would wait for its replicas.
				node.server().kill();
				node.server().close();
			}
			catch (RuntimeException ex) {
				failure = (failure != null) ? failure : ex;
			}
		}
		try {
			this.redisCli.close();
		}
		catch (RuntimeException ex) {
			failure = (failure != null) ? failure : ex;
		}
		if (failure != null) {
			throw failure;
		}
	}

	@Override
	public String toString() {
		return "RedisCluster" + this.nodes;
	}

	/**
	 * The master of each slot, from one node's view. A slot that is migrating belongs to
	 * the master it migrates from until the migration finishes.
	 * @throws IllegalStateException when a slot has no running master
	 */
	Node[] slotOwners() {
		ClusterView view = view();
		Node[] owners = new Node[ClusterView.SLOTS];
		for (Entry entry : view.entries().values()) {
			if (entry.master()) {
				Node node = node(entry.id());
				entry.slots().stream().forEach((slot) -> owners[slot] = node);
			}
		}
		for (int slot = 0; slot < owners.length; slot++) {
			if (owners[slot] == null || !owners[slot].isRunning()) {
				throw new IllegalStateException("slot " + slot + " has no running master\n" + describe());
			}
		}
		return owners;
	}

	/**
	 * Creates the cluster as {@code redis-cli --cluster create} does, without its pauses
	 * (a second before waiting for the join, then a check a second): the first
	 * {@code masters} nodes share the slots in ranges and get distinct config epochs, the
	 * first node meets every other, and once every node knows every other the rest
	 * replicate the masters in turn.
	 */
	private void create(int masters, int replicas) {
		List<Node> masterNodes = this.nodes.subList(0, masters);
		for (int i = 0; i < this.nodes.size(); i++) {
			RedisCommands<String, String> node = this.nodes.get(i).server().sync();
			if (i < masters) {
				int first = i * ClusterView.SLOTS / masters;
				int last = (i + 1) * ClusterView.SLOTS / masters - 1;
				node.clusterAddSlotsRange(io.lettuce.core.Range.create(first, last));
			}
			node.clusterSetConfigEpoch(i + 1);
		}
		Node first = this.nodes.get(0);
		for (Node other : this.nodes.subList(1, this.nodes.size())) {
			String busPort = other.server().sync().configGet("cluster-port").get("cluster-port");
			int bus = (busPort == null || "0".equals(busPort)) ? other.port() + 10000 : Integer.parseInt(busPort);
			first.server()
				.sync()
				.dispatch(io.lettuce.core.protocol.CommandType.CLUSTER,
						new io.lettuce.core.output.StatusOutput<>(StringCodec.UTF8),
						new io.lettuce.core.protocol.CommandArgs<>(StringCodec.UTF8).add("MEET")
							.add(RedisServer.HOST)
							.add(other.port())
							.add(bus));
		}
		awaitSettled("every node of a new cluster meeting every other", (view) -> {
			for (Node node : this.nodes) {
				int known = ClusterView.parse(node.server().sync().clusterNodes()).entries().size();
				if (known != this.nodes.size()) {
					return node + " knows " + known + " of " + this.nodes.size() + " nodes";
				}
			}
			return null;
		}, false);
		for (int i = masters; i < this.nodes.size(); i++) {
			this.nodes.get(i).server().sync().clusterReplicate(masterNodes.get((i - masters) % masters).id);
		}
		awaitSettled("a new cluster of " + masters + " masters with " + replicas + " replicas each", (view) -> {
			List<Entry> masterEntries = view.entries().values().stream().filter(Entry::master).toList();
			if (masterEntries.size() != masters || view.assignedSlots() != ClusterView.SLOTS) {
				return masterEntries.size() + " masters serve " + view.assignedSlots() + " slots";
			}
			for (Entry master : masterEntries) {
				if (view.replicasOf(master.id()).size() != replicas) {
					return node(master.id()) + " has " + view.replicasOf(master.id()).size() + " replicas";
				}
			}
			return null;
		});
	}

	private static Function<ClusterView, String> none() {
		return (view) -> null;
	}

	/**
	 * Polls until the cluster has settled and {@code condition} holds (it returns what is
	 * still missing, or {@code null}).
	 */
	private ClusterView awaitSettled(String awaited, Function<ClusterView, String> condition) {
		return awaitSettled(awaited, condition, true);
	}

	/**
	 * Polls until {@code condition} holds, and with {@code settled} the cluster has
	 * settled too.
	 */
	private ClusterView awaitSettled(String awaited, Function<ClusterView, String> condition, boolean settled) {
		checkOpen();
		long deadline = deadline();
		while (true) {
			String problem;
			ClusterView view = null;
			try {
				view = view();
				problem = settled ? new ClusterSettleCheck(this.nodes, this.migrations.values()).problem(view) : null;
				if (problem == null) {
					problem = condition.apply(view);
				}
			}
			catch (RuntimeException ex) {
				problem = ex.toString();
			}
			if (problem == null) {
				if (this.client != null) {
					this.client.refreshPartitions();
				}
				return view;
			}
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("the cluster did not settle within " + this.settleTimeout.toSeconds()
						+ " s, waiting for " + awaited + ": " + problem + "\n" + describe());
			}
			RedisServer.pause(POLL_MILLIS);
		}
	}

	/** The view of the first running node. */
	private ClusterView view() {
		checkOpen();
		return ClusterView.parse(running().get(0).server().sync().clusterNodes());
	}

	private List<Node> running() {
		List<Node> running = this.nodes.stream().filter(Node::isRunning).toList();
		if (running.isEmpty()) {
			throw new IllegalStateException("no node of the cluster is running");
		}
		return running;
	}

	private Node node(String id) {
		return this.nodes.stream()
			.filter((node) -> node.id.equals(id))
			.findFirst()
			.orElseThrow(() -> new IllegalStateException("no node of this fixture has the id " + id));
	}

	private void requireMaster(ClusterView view, Node node) {
		if (!node.isRunning() || !view.entry(node.id).map(Entry::master).orElse(false)) {
			throw new IllegalArgumentException(node + " is not a running master");
		}
	}

	private void checkNoMigration() {
		if (!this.migrations.isEmpty()) {
			throw new IllegalStateException(
					"slots are migrating: " + this.migrations.keySet() + "; finish the migrations first");
		}
	}

	private List<byte[]> keysInSlot(Node node, int slot) {
		RedisCommands<byte[], byte[]> commands = node.server().binarySync();
		int count = Math.toIntExact(commands.clusterCountKeysInSlot(slot));
		return (count > 0) ? commands.clusterGetKeysInSlot(slot, count) : List.of();
	}

	private void migrate(Node from, Node to, List<byte[]> keys) {
		if (keys.isEmpty()) {
			return;
		}
		MigrateArgs<byte[]> args = MigrateArgs.Builder.keys(keys);
		if (this.settings.password() != null) {
			args.auth(this.settings.password());
		}
		from.server().binarySync().migrate(RedisServer.HOST, to.port(), 0, COMMAND_TIMEOUT.toMillis(), args);
	}

	/**
	 * Runs {@code redis-cli --cluster ...}.
	 * @return its output
	 * @throws IllegalStateException when it fails, with its output and the nodes' views
	 */
	private String redisCli(String... args) {
		try {
			return this.redisCli.cluster(args);
		}
		catch (IllegalStateException ex) {
			throw new IllegalStateException(ex.getMessage() + "\n" + describe(), ex);
		}
	}

	private RedisClusterClient client() {
		if (this.client == null) {
			List<RedisURI> seeds = this.nodes.stream().map((node) -> node.server().redisUri()).toList();
			this.clientResources = DefaultClientResources.builder()
				.ioThreadPoolSize(2)
				.computationThreadPoolSize(2)
				.build();
			RedisClusterClient client = RedisClusterClient.create(this.clientResources, seeds);
			client.setOptions(ClusterClientOptions.builder()
				.topologyRefreshOptions(
						ClusterTopologyRefreshOptions.builder().enableAllAdaptiveRefreshTriggers().build())
				.timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
				.build());
			this.client = client;
		}
		return this.client;
	}

	private void closeConnections() {
		if (this.connection != null) {
			this.connection.close();
			this.connection = null;
		}
		if (this.binaryConnection != null) {
			this.binaryConnection.close();
			this.binaryConnection = null;
		}
	}

	private void checkOpen() {
		if (this.closed) {
			throw new IllegalStateException(this + " is closed");
		}
	}

	private long deadline() {
		return System.nanoTime() + this.settleTimeout.toNanos();
	}

	private static int firstSlot(ClusterView view, Node node) {
		SortedSet<Integer> slots = view.slotsOf(node.id);
		return slots.isEmpty() ? Integer.MAX_VALUE : slots.first();
	}

	private static BitSet bits(Set<Integer> slots) {
		BitSet bits = new BitSet(ClusterView.SLOTS);
		slots.forEach(bits::set);
		return bits;
	}

	/** Deletes a stopped node's data files; its {@code nodes.conf} and log stay. */
	private static void deleteData(Node node) {
		Path dir = node.server().dir();
		try (Stream<Path> paths = Files.list(dir)) {
			for (Path path : paths.toList()) {
				String name = path.getFileName().toString();
				if (!name.equals("nodes.conf") && !name.equals("redis.log")) {
					deleteDir(path);
				}
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException("could not delete the data of " + node, ex);
		}
	}

	private static void deleteDir(Path dir) {
		if (dir == null || !Files.exists(dir)) {
			return;
		}
		try (Stream<Path> paths = Files.walk(dir)) {
			for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
				Files.deleteIfExists(path);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException("could not delete " + dir, ex);
		}
	}

	/**
	 * A node of the cluster: a {@link RedisServer} with a cluster node id, which it keeps
	 * across restarts. Its role (master or replica) is the cluster's to say: see
	 * {@link RedisCluster#masters()}. Equal only to itself.
	 */
	public static final class Node {

		private final RedisServer server;

		private final String id;

		private final int tlsPort;

		private Node(RedisServer server, String id, int tlsPort) {
			this.server = server;
			this.id = id;
			this.tlsPort = tlsPort;
		}

		/** The cluster node id ({@code CLUSTER MYID}). */
		public String id() {
			return this.id;
		}

		public int port() {
			return this.server.port();
		}

		/**
		 * The TLS port of a node of a cluster built with {@link Builder#tls}.
		 * @return the port
		 * @throws IllegalStateException when the node has none
		 */
		public int tlsPort() {
			if (this.tlsPort == 0) {
				throw new IllegalStateException(this + " has no TLS port");
			}
			return this.tlsPort;
		}

		/**
		 * The URI of the node's TLS port, e.g. {@code rediss://localhost:40123}: its
		 * certificate names {@code localhost} only, while the cluster announces
		 * {@code 127.0.0.1}.
		 * @return the URI
		 */
		public String tlsUri() {
			return "rediss://localhost:" + tlsPort();
		}

		/** The address redis-cli reaches the node at: the TLS port when it has one. */
		String cliAddress() {
			return RedisServer.HOST + ":" + ((this.tlsPort != 0) ? this.tlsPort : port());
		}

		/**
		 * The address the cluster announces, e.g. {@code 127.0.0.1:40123}.
		 * @return host and port
		 */
		public String address() {
			return RedisServer.HOST + ":" + port();
		}

		/**
		 * The node's URI without credentials, e.g. {@code redis://127.0.0.1:40123}.
		 * @return the URI
		 */
		public String uri() {
			return this.server.uri();
		}

		/**
		 * The node's server: plain (not cluster-aware) connections to this node, its
		 * {@code INFO}, its process.
		 * @return the server
		 */
		public RedisServer server() {
			return this.server;
		}

		public boolean isRunning() {
			return this.server.isRunning();
		}

		@Override
		public String toString() {
			return "node " + address() + " (" + this.id.substring(0, Math.min(8, this.id.length())) + ")";
		}

	}

	/**
	 * A slot left half moved by {@link RedisCluster#beginMigration}.
	 *
	 * @param slot the slot
	 * @param from the master that still serves it ({@code MIGRATING})
	 * @param to the master that takes it ({@code IMPORTING})
	 * @param movedKeys the keys already on {@code to}
	 * @param remainingKeys the keys still on {@code from}
	 */
	public record Migration(int slot, Node from, Node to, List<byte[]> movedKeys, List<byte[]> remainingKeys) {

		@Override
		public String toString() {
			return "slot " + this.slot + " from " + this.from + " to " + this.to + " (" + this.movedKeys.size()
					+ " keys moved, " + this.remainingKeys.size() + " remaining)";
		}

	}

	/**
	 * How every node of a cluster is started.
	 *
	 * @param binary the redis-server executable
	 * @param nodeTimeout the {@code cluster-node-timeout}
	 * @param persistence whether writes survive a restart
	 * @param password the default user's password, or {@code null}
	 * @param args extra redis-server arguments
	 * @param tls the certificates of nodes that speak TLS to clients and to each other,
	 * or {@code null}
	 */
	private record NodeSettings(Path binary, Duration nodeTimeout, boolean persistence, String password,
			List<String> args, TlsCertificates tls) {

		/** Starts a node that is in no cluster yet. */
		Node start() {
			if (this.tls == null) {
				return start(0);
			}
			// the TLS port and the bus port are chosen here; either may be taken before
			// redis-server binds it: then start again on others
			for (int attempt = 1;; attempt++) {
				try {
					return start(TlsCertificates.freePort());
				}
				catch (RuntimeException ex) {
					if (attempt == 3) {
						throw ex;
					}
				}
			}
		}

		private Node start(int tlsPort) {
			RedisServer.Builder builder = RedisServer.builder()
				.binary(this.binary)
				.clusterBusPort()
				.args("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout",
						Long.toString(this.nodeTimeout.toMillis()), "--cluster-allow-replica-migration", "no",
						// A new replica syncs at once, not after the default 5 s.
						"--repl-diskless-sync-delay", "0");
			if (this.persistence) {
				builder.persistence();
			}
			if (this.password != null) {
				builder.password(this.password).args("--masterauth", this.password);
			}
			if (this.tls != null) {
				// plain port for the fixture's own connections; clients on the TLS port
				// are
				// told the TLS ports of the other nodes (Redis 7 answers CLUSTER SLOTS
				// with
				// the ports of the caller's connection type)
				builder.args("--tls-port", Integer.toString(tlsPort), "--tls-cert-file",
						this.tls.localhostCert().toString(), "--tls-key-file", this.tls.localhostKey().toString(),
						"--tls-ca-cert-file", this.tls.caCert().toString(), "--tls-auth-clients", "no", "--tls-cluster",
						"yes", "--tls-replication", "yes", "--cluster-port",
						Integer.toString(TlsCertificates.freePort()));
			}
			RedisServer server = builder.args(this.args.toArray(String[]::new)).start();
			try {
				return new Node(server, server.sync().clusterMyId(), tlsPort);
			}
			catch (RuntimeException ex) {
				server.close();
				throw ex;
			}
		}

	}

	/**
	 * Options for a {@link RedisCluster}. Not thread-safe.
	 */
	public static final class Builder {

		private int masters = 3;

		private int replicas = 1;

		private boolean persistence;

		private Duration nodeTimeout = Duration.ofMillis(2000);

		private String password;

		private final List<String> args = new ArrayList<>();

		private TlsCertificates tls;

		private Builder() {
		}

		/**
		 * Nodes that speak TLS to clients and to each other ({@code tls-cluster yes}) on
		 * a TLS port of their own, with {@link TlsCertificates#localhostCert()}: a client
		 * that trusts the CA can check the seed's host name ({@code localhost}) but not
		 * the addresses the cluster announces ({@code 127.0.0.1}). The fixture's own
		 * connections use the nodes' plain ports.
		 * @param certificates the CA and certificates
		 * @return this builder
		 */
		public Builder tls(TlsCertificates certificates) {
			this.tls = certificates;
			return this;
		}

		/**
		 * The number of masters; {@code redis-cli --cluster create} needs at least 3.
		 * @param masters 3 or more (default 3)
		 * @return this builder
		 */
		public Builder masters(int masters) {
			if (masters < 3) {
				throw new IllegalArgumentException(
						"redis-cli --cluster create needs at least 3 masters, not " + masters);
			}
			this.masters = masters;
			return this;
		}

		/**
		 * The number of replicas of each master.
		 * @param replicas 0 or more (default 1)
		 * @return this builder
		 */
		public Builder replicasPerMaster(int replicas) {
			if (replicas < 0) {
				throw new IllegalArgumentException("replicas per master cannot be negative: " + replicas);
			}
			this.replicas = replicas;
			return this;
		}

		/**
		 * Persists every write on every node (see
		 * {@link RedisServer.Builder#persistence()}) so that
		 * {@link RedisCluster#restart(Node)} keeps the data.
		 * @return this builder
		 */
		public Builder persistence() {
			this.persistence = true;
			return this;
		}

		/**
		 * {@code cluster-node-timeout}: how long a node may not answer before it is
		 * suspected of failing, and so how soon a killed master's replica takes over.
		 * @param nodeTimeout the timeout (default 2 s)
		 * @return this builder
		 */
		public Builder nodeTimeout(Duration nodeTimeout) {
			this.nodeTimeout = nodeTimeout;
			return this;
		}

		/**
		 * Requires a password for the default user on every node ({@code requirepass},
		 * and {@code masterauth} for the replicas).
		 * @param password the password
		 * @return this builder
		 */
		public Builder password(String password) {
			this.password = password;
			return this;
		}

		/**
		 * Adds redis-server arguments for every node.
		 * @param args the arguments
		 * @return this builder
		 */
		public Builder args(String... args) {
			this.args.addAll(Arrays.asList(args));
			return this;
		}

		/**
		 * Starts the nodes, creates the cluster and waits until it has settled.
		 * @return the running cluster
		 */
		public RedisCluster start() {
			Path binary = RedisBinaries.choose()
				.binary()
				.orElseThrow(() -> new IllegalStateException(
						"a RedisCluster needs local redis-server and redis-cli binaries, not a container: "
								+ RedisBinaries.NOT_FOUND));
			RedisCli redisCli = RedisCli.nextTo(binary, this.password,
					(this.tls != null) ? List.of("--tls", "--cacert", this.tls.caCert().toString()) : List.of());
			NodeSettings settings = new NodeSettings(binary, this.nodeTimeout, this.persistence, this.password,
					List.copyOf(this.args), this.tls);
			List<Node> nodes = new ArrayList<>();
			RedisCluster cluster = null;
			try {
				List<Supplier<Node>> starts = new ArrayList<>();
				for (int i = 0; i < this.masters * (1 + this.replicas); i++) {
					starts.add(settings::start);
				}
				nodes.addAll(ParallelStart.all(starts, (node) -> node.server().close()));
				cluster = new RedisCluster(nodes, settings, redisCli);
				cluster.create(this.masters, this.replicas);
				return cluster;
			}
			catch (RuntimeException ex) {
				if (cluster != null) {
					cluster.close();
				}
				else {
					nodes.forEach((node) -> node.server().close());
					redisCli.close();
				}
				throw ex;
			}
		}

	}

}
