package io.keyferry.job;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;

import io.keyferry.redis.AccessTracking;
import io.keyferry.redis.ClusterSource;
import io.keyferry.redis.ClusterTarget;
import io.keyferry.redis.CommandProbe;
import io.keyferry.redis.DumpFetcher;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.RdbVersion;
import io.keyferry.redis.ReadFrom;
import io.keyferry.redis.RedisConnector;
import io.keyferry.redis.RedisFailures;
import io.keyferry.redis.ServerClock;
import io.keyferry.redis.ServerInfo;
import io.keyferry.redis.TargetRoute;
import io.keyferry.redis.WriteMode;
import io.keyferry.redis.TypeWriter;
import io.keyferry.job.item.Checkpoint;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.beans.factory.DisposableBean;

/**
 * The connections of one partition: a source connection shared by the reader and the
 * processor's threads, and a target connection used by the writer (for a cluster target,
 * a connection per master, see {@link ClusterTarget}); both select the partition's
 * database when it has one ({@code --all-databases}). Step-scoped: opened when the
 * partition starts, closed when it ends.
 */
public class PartitionResources implements DisposableBean {

	private final CopySettings settings;

	/**
	 * The connections and what the partition read of both servers as it started; the node
	 * it scans is the source, or the master serving its slots, or one of that master's
	 * replicas.
	 */
	private final Opened servers;

	private final StepExecution stepExecution;

	private final RunMonitor monitor;

	/** See {@link #bigValueBytes()}; -1 until decided. */
	private long bigValueBytes = -1;

	/**
	 * The slots of a cluster source this partition stands for, {@code null} if
	 * standalone.
	 */
	private final BitSet slots;

	public PartitionResources(StepExecution stepExecution, EndpointCredentials credentials, RedisConnector connector,
			RunMonitor monitor) {
		this.stepExecution = stepExecution;
		this.monitor = monitor;
		CopySettings stored = CopySettings.fromJobParameters(stepExecution.getJobExecution().getJobParameters());
		Endpoint sourceEndpoint = credentials.resolve(stored.source());
		Endpoint targetEndpoint = credentials.resolve(stored.target());
		// --all-databases: the partition's database, selected by both connections (and
		// again by Lettuce after a reconnection)
		int database = stepExecution.getExecutionContext().getInt(Checkpoint.DATABASE, -1);
		if (database >= 0) {
			sourceEndpoint = sourceEndpoint.withDatabase(database);
			targetEndpoint = targetEndpoint.withDatabase(database);
		}
		this.settings = stored.withEndpoints(sourceEndpoint, targetEndpoint);
		String slots = stepExecution.getExecutionContext().getString(Checkpoint.SLOTS, null);
		this.slots = (slots != null) ? ClusterSource.parseRanges(slots) : null;
		// a connection lost while the partition starts (a server restarted, a network
		// blip) is tried again on new connections, as the pre-flight checks do
		this.servers = againOnLostConnection("connecting to the servers",
				() -> open(connector, this.settings.source(), this.settings.target(), monitor));
		if (this.slots != null && this.settings.readFrom() == ReadFrom.REPLICA && !this.servers.node().replica()) {
			monitor.warnOnce("--read-from replica: the master " + this.servers.node().endpoint().address()
					+ " serving slots " + ClusterSource.ranges(this.slots)
					+ " has no replica whose link to it is up; its partitions read from the master");
		}
		if (this.servers.node().replica()) {
			// what show prints for the partition: the node it read
			stepExecution.getExecutionContext()
				.putString(Checkpoint.NODE, this.servers.node().endpoint().address() + " (replica)");
			monitor.info("partition " + partitionName() + " reads replica " + this.servers.node().endpoint().address()
					+ " of the master serving slots " + ClusterSource.ranges(this.slots));
		}
	}

	/**
	 * What {@link #open} connected to and read.
	 *
	 * @param node the node the partition scans, and whether it is a replica
	 * @param source the connection to that node, shared by the reader and the processor
	 * @param target the connection to the target (its seed for a cluster)
	 * @param clusterTarget the target's masters, {@code null} for a standalone target
	 * @param sourceInfo the scanned node's identity and version
	 * @param targetVersion the target's Redis version
	 * @param sourceHasExpireTime whether the source has {@code PEXPIRETIME}
	 * @param sourceClockOffset the source's clock minus this machine's (ms)
	 * @param targetClockOffset the target's clock minus this machine's (ms)
	 * @param accessTracking what of the keys' use the copy carries
	 */
	private record Opened(ClusterSource.ScanNode node, RedisConnector.Connection source,
			RedisConnector.Connection target, ClusterTarget clusterTarget, ServerInfo sourceInfo, String targetVersion,
			boolean sourceHasExpireTime, long sourceClockOffset, long targetClockOffset,
			AccessTracking accessTracking) {
	}

	/**
	 * Connects to the node this partition scans and to the target, and reads what the
	 * partition needs of both; on failure, closes what it opened.
	 */
	private Opened open(RedisConnector connector, Endpoint sourceEndpoint, Endpoint targetEndpoint,
			RunMonitor monitor) {
		// without a single master serving them all, the seed: its identity then says the
		// partition cannot be scanned now (see sourceIdentity)
		ClusterSource.ScanNode node = (this.slots != null)
				? ClusterSource.scanNode(connector, sourceEndpoint, this.slots, this.settings.readFrom())
					.orElse(new ClusterSource.ScanNode(sourceEndpoint, false))
				: new ClusterSource.ScanNode(sourceEndpoint, false);
		Endpoint scanned = node.endpoint();
		RedisConnector.Connection sourceConnection = connector.connect(scanned);
		RedisConnector.Connection targetConnection = null;
		ClusterTarget targetNodes = null;
		try {
			TestHalt.at("partition-connected");
			if (node.replica()) {
				// a replica of a cluster redirects keyed commands (DUMP, PTTL) to its
				// master without READONLY; Lettuce sends it again after a reconnection
				readOnly(sourceConnection, scanned);
			}
			targetConnection = connector.connect(targetEndpoint);
			ServerInfo sourceInfo = RedisConnector.info(sourceConnection.connection(), scanned);
			ServerInfo targetInfo = RedisConnector.info(targetConnection.connection(), targetEndpoint);
			if (targetInfo.clusterEnabled()) {
				targetNodes = new ClusterTarget(connector, targetEndpoint);
			}
			boolean sourceHasExpireTime = RdbVersion.ofRedisVersion(sourceInfo.version()).orElse(0) >= 10;
			// the source's clock only matters for PEXPIRETIME; PTTL is relative (and a
			// user of an older source need not be granted TIME)
			long sourceClockOffset = sourceHasExpireTime ? clockOffset(sourceConnection, sourceEndpoint) : 0;
			long targetClockOffset = clockOffset(targetConnection, targetEndpoint);
			AccessTracking tracking = accessTracking(sourceConnection, scanned, sourceInfo.version(), targetConnection,
					targetEndpoint, monitor);
			return new Opened(node, sourceConnection, targetConnection, targetNodes, sourceInfo, targetInfo.version(),
					sourceHasExpireTime, sourceClockOffset, targetClockOffset, tracking);
		}
		catch (RuntimeException ex) {
			sourceConnection.close();
			if (targetConnection != null) {
				targetConnection.close();
			}
			if (targetNodes != null) {
				targetNodes.close();
			}
			throw ex;
		}
	}

	/**
	 * Runs a step of the partition's start, again with the back-off of {@code --retries}
	 * while it fails because a connection was lost or refused (the servers answered the
	 * pre-flight checks: a refused connection now is a server restarting); the run fails,
	 * resumably, once they are used up, and at once on any other failure.
	 */
	private <T> T againOnLostConnection(String doing, java.util.function.Supplier<T> attempt) {
		return this.monitor.againOnLostConnection(this.settings.backoff(),
				"partition " + partitionName() + ": lost a connection while " + doing, attempt);
	}

	/**
	 * Decides what of the keys' use the copy carries (see {@link AccessTracking}), and
	 * asks the source not to count the copy's reads as uses. Nothing is read for a target
	 * that evicts by neither idle time nor frequency, in a dry run, or when every key is
	 * written type by type (which cannot set them). A source that refuses {@code OBJECT}
	 * or {@code CLIENT NO-TOUCH} is copied all the same, with a warning.
	 */
	private AccessTracking accessTracking(RedisConnector.Connection source, Endpoint sourceEndpoint,
			String sourceVersion, RedisConnector.Connection target, Endpoint targetEndpoint, RunMonitor monitor) {
		String sourcePolicy = null;
		if (AccessTracking.hasNoTouch(sourceVersion)) {
			String refusal = onServer(sourceEndpoint,
					() -> AccessTracking.leaveUntouched(source.connection(), sourceVersion));
			sourcePolicy = policy(source, sourceEndpoint);
			if (refusal != null && AccessTracking.ofPolicy(sourcePolicy) != AccessTracking.NONE) {
				monitor.warnOnce("the source " + sourceEndpoint.redacted() + " refused CLIENT NO-TOUCH (" + refusal
						+ "): the copy's reads count as uses of its keys, which changes what its " + sourcePolicy
						+ " policy evicts first; grant +client|no-touch to avoid it");
			}
		}
		if (this.settings.dryRun() || this.settings.writeMode() == WriteMode.TYPES) {
			return AccessTracking.NONE;
		}
		String targetPolicy = policy(target, targetEndpoint);
		AccessTracking targetTracking = AccessTracking.ofPolicy(targetPolicy);
		if (targetTracking == AccessTracking.NONE) {
			return AccessTracking.NONE;
		}
		if (sourcePolicy == null) {
			sourcePolicy = policy(source, sourceEndpoint);
		}
		AccessTracking carried = AccessTracking.carried(AccessTracking.ofPolicy(sourcePolicy), targetTracking);
		if (carried == AccessTracking.NONE) {
			monitor.warnOnce("the target " + targetEndpoint.redacted() + " has maxmemory-policy " + targetPolicy
					+ ", but the source " + sourceEndpoint.redacted() + " ("
					+ ((sourcePolicy != null) ? sourcePolicy : "policy unknown") + ") keeps no " + kept(targetTracking)
					+ ": keys arrive on the target as new keys");
			return AccessTracking.NONE;
		}
		String command = carried.sourceCommand();
		List<CommandProbe.Refusal> refusals = CommandProbe.refusals(source.connection(), sourceEndpoint,
				List.of(command), this.settings.timeout());
		if (!refusals.isEmpty()) {
			monitor.warnOnce("the source " + sourceEndpoint.redacted() + " refuses "
					+ command.toUpperCase(Locale.ROOT).replace('|', ' ') + ": keys arrive on the target without their "
					+ kept(carried) + " (its " + targetPolicy + " policy sees them as new); grant +" + command
					+ " on the source to keep them");
			return AccessTracking.NONE;
		}
		return carried;
	}

	private static String kept(AccessTracking tracking) {
		return (tracking == AccessTracking.LFU) ? "access frequencies" : "idle times";
	}

	private static String policy(RedisConnector.Connection connection, Endpoint endpoint) {
		return onServer(endpoint, () -> AccessTracking.policy(connection.connection()));
	}

	private static <T> T onServer(Endpoint endpoint, java.util.function.Supplier<T> call) {
		try {
			return call.get();
		}
		catch (RuntimeException ex) {
			throw RedisFailures.describe(endpoint.role(), endpoint, ex);
		}
	}

	/**
	 * The server this partition scans.
	 * @return the source, or the cluster master that serves the partition's slots, or its
	 * replica
	 */
	public Endpoint sourceNode() {
		return this.servers.node().endpoint();
	}

	/**
	 * The identity of the process this partition scans, read now: its {@code run_id}, or
	 * for a cluster node {@code nodeId@runId} while it (or for a replica, its master)
	 * serves every slot of the partition with none being migrated (see
	 * {@link ClusterSource#identity}).
	 * @return the identity
	 */
	public String sourceIdentity() {
		return (this.slots != null) ? ClusterSource.readerIdentity(this.servers.source().connection(), this.slots,
				this.servers.node().replica()) : RedisConnector.runId(this.servers.source().connection());

	}

	private static void readOnly(RedisConnector.Connection connection, Endpoint endpoint) {
		try {
			connection.connection().sync().readOnly();
		}
		catch (RuntimeException ex) {
			throw RedisFailures.describe(endpoint.role(), endpoint, ex);
		}
	}

	/**
	 * The memory above which a value is copied in pieces instead of DUMPed whole (see
	 * {@link DumpFetcher}): {@link CopySettings#bigValueBytes()}, or 0 (every value
	 * DUMPed whole, with a warning) when either server refuses a command that the copy in
	 * pieces needs; asked once per partition, in one pipelined round trip per server.
	 * @return the threshold in bytes, or 0
	 */
	public synchronized long bigValueBytes() {
		if (this.bigValueBytes < 0) {
			this.bigValueBytes = againOnLostConnection("asking which commands the servers allow",
					this::decideBigValueBytes);
		}
		return this.bigValueBytes;
	}

	private long decideBigValueBytes() {
		CopySettings settings = this.settings;
		List<String> sourceCommands = new ArrayList<>(List.of("memory"));
		List<String> targetCommands = new ArrayList<>();
		if (!settings.dryRun()) {
			sourceCommands.addAll(TypeWriter.sourceCommands(settings.type()));
			targetCommands.addAll(
					TypeWriter.targetCommands(settings.type(), settings.onConflict(), this.servers.targetVersion()));
		}
		List<String> refused = new ArrayList<>();
		List<String> sourceRefused = CommandProbe
			.refusals(this.servers.source().connection(), this.servers.node().endpoint(), sourceCommands,
					settings.timeout())
			.stream()
			.map(CommandProbe.Refusal::command)
			.toList();
		if (!sourceRefused.isEmpty()) {
			refused.add("the source refuses " + String.join(" ", sourceRefused));
		}
		List<String> targetRefused = targetCommands.isEmpty() ? List.of()
				: CommandProbe
					.refusals(this.servers.target().connection(), settings.target(), targetCommands, settings.timeout())
					.stream()
					.map(CommandProbe.Refusal::command)
					.toList();
		if (!targetRefused.isEmpty()) {
			refused.add("the target refuses " + String.join(" ", targetRefused));
		}
		if (refused.isEmpty()) {
			return settings.bigValueBytes();
		}
		this.monitor.warnOnce("values over " + settings.bigValueBytes()
				+ " bytes are read whole with DUMP, not in pieces (each needs its size in heap): "
				+ String.join("; ", refused) + " (see Permissions in the README)");
		return 0;
	}

	/**
	 * Where the writer sends each key.
	 * @return the target connection, or the master serving each key's slot
	 */
	public TargetRoute targetRoute() {
		return (this.servers.clusterTarget() != null) ? this.servers.clusterTarget()
				: TargetRoute.single(this.servers.target().connection());
	}

	/**
	 * The identity of the target processes that hold what this partition wrote, read now:
	 * the target's {@code run_id}, or every master's {@code nodeId@runId} of a cluster
	 * target.
	 * @return the identity
	 */
	public String targetIdentity() {
		return (this.servers.clusterTarget() != null) ? this.servers.clusterTarget().identity()
				: RedisConnector.runId(this.servers.target().connection());
	}

	private static long clockOffset(RedisConnector.Connection connection, Endpoint endpoint) {
		try {
			return ServerClock.offsetMillis(connection.connection());
		}
		catch (RuntimeException ex) {
			throw RedisFailures.describe(endpoint.role(), endpoint, ex);
		}
	}

	public CopySettings settings() {
		return this.settings;
	}

	public RedisConnector.Connection source() {
		return this.servers.source();
	}

	public RedisConnector.Connection target() {
		return this.servers.target();
	}

	public ServerInfo sourceInfo() {
		return this.servers.sourceInfo();
	}

	public int targetRdbVersion() {
		return RdbVersion.ofRedisVersion(this.servers.targetVersion()).orElse(-1);
	}

	/**
	 * The target's Redis version.
	 * @return e.g. {@code 7.0.15}, {@code null} when unknown
	 */
	public String targetVersion() {
		return this.servers.targetVersion();
	}

	/**
	 * The source's clock minus this machine's, measured when the partition started.
	 * @return milliseconds
	 */
	public long sourceClockOffset() {
		return this.servers.sourceClockOffset();
	}

	/**
	 * The target's clock minus this machine's, measured when the partition started.
	 * @return milliseconds
	 */
	public long targetClockOffset() {
		return this.servers.targetClockOffset();
	}

	/**
	 * What of the keys' use this partition reads from the source and writes to the
	 * target.
	 * @return {@link AccessTracking#NONE} unless the target evicts by LRU or LFU and the
	 * source can tell
	 */
	public AccessTracking accessTracking() {
		return this.servers.accessTracking();
	}

	/**
	 * Whether the source has {@code PEXPIRETIME} (Redis 7+).
	 * @return true for an absolute expiry
	 */
	public boolean sourceHasExpireTime() {
		return this.servers.sourceHasExpireTime();
	}

	public StepExecution stepExecution() {
		return this.stepExecution;
	}

	/**
	 * The partition's name, e.g. {@code node0.range0}.
	 * @return the name after the step name's separator
	 */
	public String partitionName() {
		String name = this.stepExecution.getStepName();
		int colon = name.indexOf(':');
		return (colon >= 0) ? name.substring(colon + 1) : name;
	}

	@Override
	public void destroy() {
		try {
			if (this.servers.clusterTarget() != null) {
				this.servers.clusterTarget().close();
			}
		}
		finally {
			destroyConnections();
		}
	}

	private void destroyConnections() {
		try {
			this.servers.target().close();
		}
		finally {
			this.servers.source().close();
		}
	}

}
