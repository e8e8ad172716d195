package io.keyferry.job;

import java.time.Duration;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.zip.CRC32;

import io.keyferry.KeyferryException;
import io.keyferry.job.item.ServerIdentities;
import io.keyferry.redis.ClusterNodes;
import io.keyferry.redis.ClusterSource;
import io.keyferry.redis.ClusterTarget;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.RedisConnector;
import io.keyferry.job.item.Checkpoint;
import org.springframework.batch.core.partition.Partitioner;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * The partitions of a run's source as the source is now, each with its own checkpoint:
 * for a standalone server, slices of its SCAN cursor space ({@code node0.range0}, …); for
 * a Redis Cluster, the same slices of each master, named by the slots the master serves
 * ({@code s0-5460.range0}, …). Partitions are computed again on every pass and every
 * resume: a master that failed over keeps its slots, so its partitions keep their names
 * and checkpoints (and are scanned again, the node's process having changed); slots that
 * moved give their masters new partitions, scanned from the start. With
 * {@code --all-databases}, a standalone source has those slices for each database that
 * holds keys now ({@code db3.node0.range0}, …): a database that receives its first keys
 * between two passes or two executions of a run gets partitions of its own then, scanned
 * from the start, and one that was emptied keeps its checkpoints but is no longer
 * scanned. Thread-safe.
 */
public class SourceLayout implements Partitioner {

	/** How long a pass waits for slots being migrated before the run fails, resumable. */
	static final Duration MIGRATION_WAIT = Duration.ofMinutes(10);

	private final CopySettings settings;

	private final RedisConnector connector;

	private final RunMonitor monitor;

	private final boolean cluster;

	/**
	 * Creates the layout of a run.
	 * @param settings the run's settings, endpoints with their credentials
	 * @param connector opens connections
	 * @param monitor the run's stop requests and warnings
	 * @param cluster whether the source is a Redis Cluster
	 */
	SourceLayout(CopySettings settings, RedisConnector connector, RunMonitor monitor, boolean cluster) {
		this.settings = settings;
		this.connector = connector;
		this.monitor = monitor;
		this.cluster = cluster;
	}

	/**
	 * The layout of a run's source as it is now, which tells a Redis Cluster from a
	 * standalone server.
	 * @param settings the run's settings, endpoints with their credentials
	 * @param connector opens connections
	 * @param monitor the run's stop requests and warnings
	 * @return the layout
	 */
	public static SourceLayout of(CopySettings settings, RedisConnector connector, RunMonitor monitor) {
		Endpoint source = settings.source();
		boolean cluster = monitor.againOnLostConnection(settings.backoff(),
				"lost a connection while reading what the source is", () -> {
					try (RedisConnector.Connection connection = connector.connect(source)) {
						return RedisConnector.info(connection.connection(), source).clusterEnabled();
					}
				});
		return new SourceLayout(settings, connector, monitor, cluster);
	}

	/**
	 * Reads the source's state on connections of its own, again with the back-off of
	 * {@code --retries} while a connection is lost or refused: the run has reached the
	 * source in its pre-flight checks, so that is a server restarting or a network blip.
	 */
	private <T> T read(String what, java.util.function.Supplier<T> attempt) {
		return this.monitor.againOnLostConnection(this.settings.backoff(), "lost a connection while reading " + what,
				attempt);
	}

	public boolean isCluster() {
		return this.cluster;
	}

	@Override
	public Map<String, ExecutionContext> partition(int gridSize) {
		Map<String, ExecutionContext> partitions = new LinkedHashMap<>();
		int ranges = this.settings.partitions();
		if (!this.cluster && this.settings.allDatabases()) {
			java.util.SortedMap<Integer, Long> databases = databases();
			double keys = databases.values().stream().mapToLong(Long::longValue).sum();
			databases.forEach((database, databaseKeys) -> {
				Map<String, ExecutionContext> ofDatabase = new LinkedHashMap<>();
				addRanges(ofDatabase, databasePrefix(database) + "node0", this.settings.source().address(), null,
						ranges);
				ofDatabase.values().forEach((context) -> {
					context.putInt(Checkpoint.DATABASE, database);
					context.putDouble(Checkpoint.DATABASE_SHARE, databaseKeys / keys);
				});
				partitions.putAll(ofDatabase);
			});
			return partitions;
		}
		if (!this.cluster) {
			addRanges(partitions, "node0", this.settings.source().address(), null, ranges);
			return partitions;
		}
		ClusterNodes topology = topology();
		ClusterSource.checkServed(topology, this.settings.source());
		for (ClusterNodes.Node master : topology.masters()) {
			addRanges(partitions, name(master.slots()), master.address(), ClusterSource.ranges(master.slots()), ranges);
		}
		return partitions;
	}

	/**
	 * The databases of the source that hold keys now, with their key counts.
	 * @return key counts by database, ascending
	 */
	java.util.SortedMap<Integer, Long> databases() {
		return read("the source's databases", () -> this.connector.keyspace(this.settings.source()));
	}

	/**
	 * The start of the names of a database's partitions.
	 * @param database the database
	 * @return e.g. {@code db3.}
	 */
	static String databasePrefix(int database) {
		return "db" + database + ".";
	}

	private static void addRanges(Map<String, ExecutionContext> partitions, String prefix, String address, String slots,
			int ranges) {
		for (int range = 0; range < ranges; range++) {
			ExecutionContext context = new ExecutionContext();
			context.putString(Checkpoint.NODE, address);
			if (slots != null) {
				context.putString(Checkpoint.SLOTS, slots);
			}
			context.putInt(Checkpoint.RANGE_INDEX, range);
			context.putInt(Checkpoint.RANGE_COUNT, ranges);
			partitions.put(prefix + ".range" + range, context);
		}
	}

	/**
	 * How much of the source the partitions of an execution have scanned: the latest step
	 * execution of each partition (a partition runs once per pass), its slices weighted
	 * within its node, the nodes alike.
	 * @param steps the step executions of a job execution
	 * @return the fraction between 0 and 1, empty when no partition has run
	 */
	public static OptionalDouble scanned(Collection<StepExecution> steps) {
		Map<String, StepExecution> latest = new HashMap<>();
		for (StepExecution step : steps) {
			if (JobNames.isPartitionStep(step.getStepName())) {
				latest.merge(step.getStepName(), step, (a, b) -> (a.getId() > b.getId()) ? a : b);
			}
		}
		if (latest.isEmpty()) {
			return OptionalDouble.empty();
		}
		double scanned = 0;
		double ofDatabases = 0;
		Set<String> nodes = new HashSet<>();
		for (StepExecution step : latest.values()) {
			ExecutionContext context = step.getExecutionContext();
			double slice = context.getDouble(Checkpoint.FRACTION, 0.0)
					/ Math.max(1, context.getInt(Checkpoint.RANGE_COUNT, 1));
			if (context.containsKey(Checkpoint.DATABASE_SHARE)) {
				// --all-databases: each database weighted by its share of the keys
				ofDatabases += slice * context.getDouble(Checkpoint.DATABASE_SHARE);
				continue;
			}
			scanned += slice;
			// node0.range1, s0-5460.range0: one group of slices per source node
			String name = step.getStepName();
			nodes.add(name.substring(0, Math.max(0, name.lastIndexOf(".range"))));
		}
		if (nodes.isEmpty()) {
			return OptionalDouble.of(Math.min(1, ofDatabases));
		}
		return OptionalDouble.of(Math.min(1, scanned / nodes.size()));
	}

	/**
	 * A short, stable name for a set of slots: {@code s0-5460} for a contiguous set, with
	 * a checksum of the ranges otherwise (step names are limited to 100 characters).
	 */
	static String name(BitSet slots) {
		int first = slots.nextSetBit(0);
		int last = slots.length() - 1;
		String name = "s" + first + "-" + last;
		if (slots.cardinality() == last - first + 1) {
			return name;
		}
		CRC32 crc = new CRC32();
		crc.update(ClusterSource.ranges(slots).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
		return name + "-" + Long.toHexString(crc.getValue());
	}

	/**
	 * The topology as the source endpoint sees it.
	 * @return the topology
	 */
	ClusterNodes topology() {
		return read("the source cluster's nodes", () -> ClusterSource.nodes(this.connector, this.settings.source()));
	}

	/**
	 * The rule for one partition's checkpoint, reading the processes that serve its part
	 * of the source and the target now.
	 * @param partition the partition's execution context
	 * @return the rule
	 */
	ServerIdentities identities(ExecutionContext partition) {
		Endpoint source = this.settings.source();
		Endpoint target = this.settings.target();
		java.util.function.Supplier<String> sourceId;
		if (!this.cluster) {
			Endpoint standalone = source;
			sourceId = () -> this.connector.runId(standalone);
		}
		else {
			BitSet slots = ClusterSource.parseRanges(partition.getString(Checkpoint.SLOTS, ""));
			// the node the partition would scan now: if it is not the one its checkpoint
			// was made on, the identities differ and the partition is scanned again
			Endpoint seed = source;
			Optional<ClusterSource.ScanNode> node = read("the source cluster's nodes",
					() -> ClusterSource.scanNode(this.connector, seed, slots, this.settings.readFrom()));
			if (node.isEmpty()) {
				sourceId = () -> ClusterSource.UNSTABLE + "no single master serves slots "
						+ ClusterSource.ranges(slots);
			}
			else {
				source = node.get().endpoint();
				Endpoint scanned = source;
				boolean replica = node.get().replica();
				sourceId = () -> {
					try (RedisConnector.Connection connection = this.connector.connect(scanned)) {
						return ClusterSource.identity(connection.connection(), slots, replica);
					}
				};
			}
		}
		return new ServerIdentities(source, target, sourceId, () -> ClusterTarget.identityOf(this.connector, target),
				!this.settings.dryRun());
	}

	/**
	 * Waits until no slot of a cluster source is being migrated and every slot is served,
	 * so that a pass can cover every slot.
	 * @param monitor for messages and stop requests
	 */
	void awaitStable(RunMonitor monitor) {
		if (!this.cluster) {
			return;
		}
		long deadline = System.nanoTime() + MIGRATION_WAIT.toNanos();
		boolean said = false;
		while (true) {
			ClusterNodes topology = topology();
			BitSet unserved = topology.unserved();
			// a node reports the slots it migrates or imports only about itself
			BitSet moving = read("the slots the source cluster's masters migrate", () -> {
				BitSet migrating = new BitSet(ClusterNodes.SLOTS);
				for (ClusterNodes.Node master : topology.masters()) {
					try (RedisConnector.Connection node = this.connector
						.connect(ClusterSource.endpointOf(this.settings.source(), master))) {
						ClusterSource.nodes(node.connection()).myself().ifPresent((me) -> migrating.or(me.moving()));
					}
				}
				return migrating;
			});
			if (moving.isEmpty() && unserved.isEmpty()) {
				return;
			}
			String why = !moving.isEmpty() ? "slots " + ClusterSource.ranges(moving) + " are being migrated"
					: "slots " + ClusterSource.ranges(unserved) + " are not served by any master";
			if (System.nanoTime() > deadline) {
				throw new KeyferryException(
						"source cluster " + this.settings.source().redacted() + ": " + why + " for more than "
								+ MIGRATION_WAIT.toMinutes() + " minutes",
						"finish or fix the resharding (redis-cli --cluster fix); the run is resumable");
			}
			if (!said) {
				monitor.warn("source cluster " + this.settings.source().redacted() + ": " + why
						+ "; waiting before the partitions of those slots are scanned again");
				said = true;
			}
			if (monitor.isStopRequested()) {
				throw new io.keyferry.redis.Backoff.StopRequestedException();
			}
			try {
				Thread.sleep(500);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new io.keyferry.redis.Backoff.StopRequestedException();
			}
		}
	}

}
