package io.keyferry.run;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import io.keyferry.KeyferryException;
import io.keyferry.redis.ClusterNodes;
import io.keyferry.redis.ClusterSource;
import io.keyferry.redis.CommandProbe;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.FunctionLibraries;
import io.keyferry.redis.RdbVersion;
import io.keyferry.redis.TypeWriter;
import io.keyferry.redis.WriteMode;
import io.keyferry.redis.ReadFrom;
import io.keyferry.redis.RedisConnector;
import io.keyferry.redis.RedisFailures;
import io.keyferry.redis.RequiredCommands;
import io.keyferry.redis.Restorer;
import io.keyferry.redis.ServerInfo;
import io.keyferry.job.CopySettings;
import io.keyferry.job.KeyferryProperties;
import io.lettuce.core.KeyScanArgs;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.sync.RedisCommands;
import org.springframework.boot.convert.DurationStyle;

/**
 * The checks of both servers before anything is written: reachable, authenticated,
 * standalone, not the same database, the target able to read the source's payloads, and
 * the users allowed every command the run's options will send (see
 * {@link RequiredCommands} and {@link CommandProbe}); what is missing is named, per
 * server, with the ACL rules that grant it. {@code keyferry copy} {@link #start starts}
 * them on a thread of their own while Spring and the job repository start (the first
 * Lettuce connection of a process costs a few hundred milliseconds of set-up), as soon as
 * Spring has set up logging, and the copy waits for their result before it reads the job
 * repository.
 */
public final class Preflight {

	/** The connection timeout when {@code keyferry.connect-timeout} is not set. */
	public static final Duration DEFAULT_TIMEOUT = DurationStyle
		.detectAndParse(KeyferryProperties.DEFAULT_CONNECT_TIMEOUT);

	private final CompletableFuture<Long> result = new CompletableFuture<>();

	private final CopySettings settings;

	private final Duration timeout;

	private boolean started;

	private Preflight(CopySettings settings, Duration timeout) {
		this.settings = settings;
		this.timeout = timeout;
	}

	/**
	 * Prepares the checks, to be run in the background by {@link #start}.
	 * @param settings the run's settings with credentials
	 * @param timeout the connection and command timeout
	 * @return the checks, not started
	 */
	public static Preflight prepare(CopySettings settings, Duration timeout) {
		return new Preflight(settings, timeout);
	}

	/**
	 * Starts the checks on a thread of their own, with a connector of their own; once
	 * only. Lettuce and Netty log as they start, so this waits until the logging system
	 * is set up (before that, logback would print to the console).
	 */
	public synchronized void start() {
		if (this.started) {
			return;
		}
		this.started = true;
		Thread thread = new Thread(() -> {
			try (RedisConnector connector = new RedisConnector(this.timeout)) {
				this.result.complete(check(connector, this.settings));
			}
			catch (Throwable ex) {
				this.result.completeExceptionally(ex);
			}
		}, "keyferry-preflight");
		thread.setDaemon(true);
		thread.start();
	}

	/**
	 * Waits for the checks, starting them if nobody has.
	 * @return the source's key count
	 * @throws KeyferryException the failed check's error, as if run here
	 */
	public long join() {
		start();
		try {
			return this.result.get();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new KeyferryException("interrupted while checking the servers", "run the command again", ex);
		}
		catch (ExecutionException ex) {
			Throwable cause = ex.getCause();
			if (cause instanceof RuntimeException runtime) {
				throw runtime;
			}
			if (cause instanceof Error error) {
				throw error;
			}
			throw new KeyferryException("checking the servers failed: " + cause, "run the command again", cause);
		}
	}

	/**
	 * Runs the checks on this thread.
	 * @param connector opens the connections
	 * @param settings the run's settings with credentials
	 * @return the source's key count
	 */
	static long check(RedisConnector connector, CopySettings settings) {
		for (int retry = 1;; retry++) {
			try {
				return checkOnce(connector, settings);
			}
			catch (RuntimeException ex) {
				// a connection lost during the checks (seen on loaded machines right
				// after
				// connecting, also by calls that do not describe their failures) is
				// retried on new connections; timeouts, replies and refusals are not
				if (!RedisFailures.isLostConnection(ex)) {
					throw ex;
				}
				if (retry > settings.backoff().retries()) {
					throw (ex instanceof KeyferryException) ? ex : new KeyferryException(
							"lost the connection to a server while checking it: " + ex.getMessage(),
							"check that both servers are up and reachable, then run the same command again", ex);
				}
				settings.backoff().pause(retry, () -> false);
			}
		}
	}

	private static long checkOnce(RedisConnector connector, CopySettings settings) {
		Endpoint source = settings.source();
		Endpoint target = settings.target();
		try (RedisConnector.Connection s = connector.connect(source);
				RedisConnector.Connection t = connector.connect(target)) {
			ServerInfo sourceInfo = infoUnlessDenied(s, source);
			ServerInfo targetInfo = infoUnlessDenied(t, target);
			checkServers(source, sourceInfo, target, targetInfo, settings.writeMode());
			checkClusterOptions(settings, sourceInfo, targetInfo);
			if (settings.allDatabases()) {
				checkStandalone(source, sourceInfo);
				checkStandalone(target, targetInfo);
			}
			// with INFO denied the version is unknown: whether the server knows the newer
			// command decides which set it needs
			boolean absoluteExpiry = (sourceInfo != null)
					? RdbVersion.ofRedisVersion(sourceInfo.version()).orElse(0) >= 10
					: knows(s, source, "pexpiretime", settings.timeout());
			String targetVersion = (targetInfo != null) ? targetInfo.version()
					: (knows(t, target, "smismember", settings.timeout()) ? null : "6.0");
			checkFunctions(settings, sourceInfo, targetInfo);
			// --all-databases selects every database but 0 on both sides: SELECT is
			// needed
			Endpoint sourceConnections = settings.allDatabases() ? source.withDatabase(1) : source;
			Endpoint targetConnections = settings.allDatabases() ? target.withDatabase(1) : target;
			List<String> sourceCommands = new ArrayList<>(
					RequiredCommands.source(sourceConnections, settings.onConflict(), settings.type(), absoluteExpiry,
							sourceInfo != null && sourceInfo.clusterEnabled()));
			List<String> targetCommands = new ArrayList<>(
					RequiredCommands.target(targetConnections, settings.onConflict(), settings.dryRun(),
							settings.type(), targetVersion, targetInfo != null && targetInfo.clusterEnabled()));
			// only when keys may be written type by type: least privilege otherwise (with
			// INFO denied, the versions are unknown, and the run is refused for INFO
			// first: once granted, the versions decide)
			boolean versionsKnown = sourceInfo != null && targetInfo != null;
			if (!settings.dryRun() && (settings.writeMode() == WriteMode.TYPES || (versionsKnown
					&& settings.writeMode().mayWriteByTypes(sourceInfo.version(), targetInfo.version())))) {
				sourceCommands.addAll(TypeWriter.sourceCommands(settings.type()));
				targetCommands.addAll(TypeWriter.targetCommands(settings.type(), settings.onConflict(), targetVersion));
			}
			if (settings.functions()) {
				sourceCommands.addAll(FunctionLibraries.commands());
				if (!settings.dryRun()) {
					targetCommands.addAll(FunctionLibraries.commands());
				}
			}
			if (settings.deleteMissing()) {
				sourceCommands.addAll(RequiredCommands.deleteMissingSource());
				targetCommands.addAll(RequiredCommands.deleteMissingTarget(settings.dryRun()));
			}
			sourceCommands = new ArrayList<>(new java.util.LinkedHashSet<>(sourceCommands));
			targetCommands = new ArrayList<>(new java.util.LinkedHashSet<>(targetCommands));
			List<CommandProbe.Refusal> sourceRefusals = CommandProbe.refusals(s.connection(), source, sourceCommands,
					settings.timeout());
			List<CommandProbe.Refusal> targetRefusals = CommandProbe.refusals(t.connection(), target, targetCommands,
					settings.timeout());
			if (targetInfo != null && targetInfo.clusterEnabled()) {
				checkTargetServed(t, target);
			}
			if (!sourceRefusals.isEmpty() || !targetRefusals.isEmpty()) {
				throw refused(source, sourceRefusals, target, targetRefusals);
			}
			if (sourceInfo != null && sourceInfo.clusterEnabled() && settings.readFrom() == ReadFrom.REPLICA) {
				checkReplicas(connector, settings, absoluteExpiry);
			}
			checkScanType(s.connection().sync(), settings);
			if (settings.allDatabases()) {
				return checkDatabases(connector, settings, RedisConnector.keyspace(s.connection(), source));
			}
			return sourceInfo.clusterEnabled() ? clusterKeys(connector, source, s) : sourceInfo.keys();
		}
	}

	/**
	 * Refuses {@code --functions} with a server older than Redis 7.0, which has no
	 * functions.
	 */
	private static void checkFunctions(CopySettings settings, ServerInfo sourceInfo, ServerInfo targetInfo) {
		if (!settings.functions()) {
			return;
		}
		for (ServerInfo info : java.util.Arrays.asList(sourceInfo, targetInfo)) {
			if (info != null && RdbVersion.ofRedisVersion(info.version()).orElse(10) < 10) {
				Endpoint endpoint = (info == sourceInfo) ? settings.source() : settings.target();
				throw KeyferryException.usage(
						"--functions needs Redis 7.0 or newer, and the " + endpoint.role() + " " + endpoint.redacted()
								+ " runs Redis " + info.version(),
						"leave out --functions (Redis before 7.0 has no functions: copy its Lua scripts yourself)");
			}
		}
	}

	/**
	 * Refuses several seeds, or {@code --read-from replica}, for a server that is not a
	 * Redis Cluster.
	 */
	private static void checkClusterOptions(CopySettings settings, ServerInfo sourceInfo, ServerInfo targetInfo) {
		boolean sourceCluster = sourceInfo != null && sourceInfo.clusterEnabled();
		if (sourceInfo != null && !sourceCluster && settings.readFrom() == ReadFrom.REPLICA) {
			throw KeyferryException.usage(
					"--read-from replica needs a Redis Cluster source, and " + settings.source().redacted()
							+ " is a standalone server",
					"leave out --read-from (or use --read-from master); to read a standalone server's replica, give "
							+ "the replica's URI as --source");
		}
		for (var side : List.of(Map.entry(settings.source(), Optional.ofNullable(sourceInfo)),
				Map.entry(settings.target(), Optional.ofNullable(targetInfo)))) {
			Endpoint endpoint = side.getKey();
			boolean standalone = side.getValue().map((info) -> !info.clusterEnabled()).orElse(false);
			boolean cluster = side.getValue().map(ServerInfo::clusterEnabled).orElse(false);
			if (cluster && endpoint.isSentinel()) {
				throw KeyferryException.usage("the " + endpoint.role() + " " + endpoint.redacted()
						+ " is a Sentinel's master in cluster mode, which keyferry does not copy through Sentinel",
						"give a cluster node as --" + endpoint.role()
								+ " redis://host:port (a Redis Cluster fails over " + "without Sentinel)");
			}
			if (standalone && !endpoint.moreSeeds().isEmpty() && !endpoint.isSentinel()) {
				throw KeyferryException.usage("the " + endpoint.role() + " " + endpoint.redacted()
						+ " lists several hosts, which only a Redis Cluster may have, and " + endpoint.address()
						+ " is a standalone server", "give one host:port in --" + endpoint.role());
			}
		}
	}

	/**
	 * Refuses {@code --all-databases} with a Redis Cluster, which has database 0 only.
	 */
	private static void checkStandalone(Endpoint endpoint, ServerInfo info) {
		if (info != null && info.clusterEnabled()) {
			throw KeyferryException.usage(
					"--all-databases needs standalone servers, and the " + endpoint.role() + " " + endpoint.redacted()
							+ " is a Redis Cluster, which has database 0 only",
					"leave out --all-databases to copy the cluster's keys");
		}
	}

	/**
	 * Selects, on both servers, each database of the source that holds keys, as the
	 * partitions of an {@code --all-databases} run will: the user must be allowed
	 * {@code SELECT} and the target must have the database.
	 * @return the keys of those databases
	 */
	private static long checkDatabases(RedisConnector connector, CopySettings settings,
			java.util.SortedMap<Integer, Long> databases) {
		for (int database : databases.keySet()) {
			if (database == 0) {
				continue;
			}
			for (Endpoint side : List.of(settings.source(), settings.target())) {
				Endpoint selected = side.withDatabase(database);
				// SELECT on a connection already made, not as a connection's handshake: a
				// handshake that fails may be reported by Lettuce as its own failure
				// ("RedisHandshakeHandler not registered") rather than the server's reply
				try (RedisConnector.Connection connection = connector.connect(side)) {
					try {
						connection.connection().sync().select(database);
					}
					catch (RuntimeException ex) {
						throw RedisFailures.describe(side.role(), selected, ex);
					}
				}
				catch (KeyferryException ex) {
					if (side == settings.target() && outOfRange(ex)) {
						throw KeyferryException.usage(
								"the source has keys in database " + database + ", which the target "
										+ settings.target().redacted() + " does not have",
								"give the target at least " + (databases.lastKey() + 1)
										+ " databases (its 'databases' setting), or copy without --all-databases, one database at a time with /db in both URIs",
								ex);
					}
					throw ex;
				}
			}
		}
		return databases.values().stream().mapToLong(Long::longValue).sum();
	}

	private static boolean outOfRange(Throwable failure) {
		for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
			if (String.valueOf(t.getMessage()).contains("DB index is out of range")) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Probes, on the replica each master's partitions will read with
	 * {@code --read-from replica}, the commands the copy sends it ({@code READONLY} and
	 * {@code CLUSTER NODES} besides the source's); a master without a usable replica is
	 * read itself and was probed as the source.
	 */
	private static void checkReplicas(RedisConnector connector, CopySettings settings, boolean absoluteExpiry) {
		Endpoint source = settings.source();
		ClusterNodes topology = ClusterSource.nodes(connector, source);
		for (ClusterNodes.Node master : topology.masters()) {
			Optional<ClusterSource.ScanNode> node = ClusterSource.scanNode(connector, source, master.slots(),
					ReadFrom.REPLICA);
			if (node.isEmpty() || !node.get().replica()) {
				continue;
			}
			Endpoint replica = node.get().endpoint();
			try (RedisConnector.Connection connection = connector.connect(replica)) {
				List<CommandProbe.Refusal> refusals = CommandProbe.refusals(connection.connection(), replica,
						RequiredCommands.source(replica, settings.onConflict(), settings.type(), absoluteExpiry, true,
								true),
						settings.timeout());
				if (!refusals.isEmpty()) {
					throw refused(replica, refusals, settings.target(), List.of());
				}
			}
		}
	}

	/**
	 * Fails unless every slot of a cluster target is served by a live master.
	 */
	private static void checkTargetServed(RedisConnector.Connection connection, Endpoint target) {
		java.util.BitSet unserved = ClusterSource.nodes(connection.connection()).unserved();
		if (!unserved.isEmpty()) {
			throw new KeyferryException(
					"target cluster " + target.redacted() + " does not serve slots " + ClusterSource.ranges(unserved)
							+ " now",
					"wait until the cluster is healthy (CLUSTER INFO cluster_state:ok), then run the same command");
		}
	}

	/**
	 * The keys of every master of a cluster source (one node counts only its own).
	 */
	private static long clusterKeys(RedisConnector connector, Endpoint seed, RedisConnector.Connection connection) {
		ClusterNodes topology = ClusterSource.nodes(connection.connection());
		ClusterSource.checkServed(topology, seed);
		long keys = 0;
		for (ClusterNodes.Node master : topology.masters()) {
			Endpoint endpoint = ClusterSource.endpointOf(seed, master);
			try (RedisConnector.Connection node = connector.connect(endpoint)) {
				keys += RedisConnector.info(node.connection(), endpoint).keys();
			}
		}
		return keys;
	}

	/**
	 * The server's information, or {@code null} when the user may not run {@code INFO}
	 * (the probes then name it with any other command it lacks).
	 */
	private static ServerInfo infoUnlessDenied(RedisConnector.Connection connection, Endpoint endpoint) {
		try {
			return RedisConnector.info(connection.connection(), endpoint);
		}
		catch (KeyferryException ex) {
			if (ex.getCause() instanceof RedisCommandExecutionException reply
					&& CommandProbe.isCommandDenied(String.valueOf(reply.getMessage()))) {
				return null;
			}
			throw ex;
		}
	}

	private static void checkServers(Endpoint source, ServerInfo sourceInfo, Endpoint target, ServerInfo targetInfo,
			WriteMode writeMode) {
		for (var pair : List.of(Map.entry(source, Optional.ofNullable(sourceInfo)),
				Map.entry(target, Optional.ofNullable(targetInfo)))) {
			Endpoint endpoint = pair.getKey();
			boolean cluster = pair.getValue().map(ServerInfo::clusterEnabled).orElse(false);
			if (cluster && endpoint.database() != 0) {
				throw KeyferryException.usage(
						"the " + endpoint.role() + " " + endpoint.redacted()
								+ " is a Redis Cluster, which has database 0 only",
						"remove the /" + endpoint.database() + " from --" + endpoint.role());
			}
		}
		if (sourceInfo == null || targetInfo == null) {
			return;
		}
		if (sourceInfo.runId().equals(targetInfo.runId()) && source.database() == target.database()) {
			throw KeyferryException.usage("the source and the target are the same database",
					"point --target at another server or database");
		}
		var sourceRdb = RdbVersion.ofRedisVersion(sourceInfo.version());
		var targetRdb = RdbVersion.ofRedisVersion(targetInfo.version());
		if (writeMode == WriteMode.RESTORE && sourceRdb.isPresent() && targetRdb.isPresent()
				&& sourceRdb.getAsInt() > targetRdb.getAsInt()) {
			KeyferryException tooOld = Restorer.targetTooOld(sourceRdb.getAsInt(), targetRdb.getAsInt());
			throw KeyferryException.usage(
					"the target (Redis " + targetInfo.version() + ") is older than the source (Redis "
							+ sourceInfo.version() + "): "
							+ tooOld.getMessage().replace("the target is older than the source: ", ""),
					tooOld.getHint());
		}
	}

	/**
	 * Whether the server knows a command (denied or not).
	 */
	private static boolean knows(RedisConnector.Connection connection, Endpoint endpoint, String command,
			Duration timeout) {
		return CommandProbe.refusals(connection.connection(), endpoint, List.of(command), timeout)
			.stream()
			.noneMatch(CommandProbe.Refusal::unknown);
	}

	/**
	 * The error naming every refused command, per server, with the ACL rules that grant
	 * them.
	 */
	static KeyferryException refused(Endpoint source, List<CommandProbe.Refusal> sourceRefusals, Endpoint target,
			List<CommandProbe.Refusal> targetRefusals) {
		List<String> problems = new ArrayList<>();
		List<String> grants = new ArrayList<>();
		List<String> unknown = new ArrayList<>();
		int deniedCount = 0;
		for (var side : List.of(Map.entry(source, sourceRefusals), Map.entry(target, targetRefusals))) {
			Endpoint endpoint = side.getKey();
			List<String> denied = side.getValue()
				.stream()
				.filter((r) -> !r.unknown())
				.map(CommandProbe.Refusal::command)
				.toList();
			List<String> missing = side.getValue()
				.stream()
				.filter(CommandProbe.Refusal::unknown)
				.map(CommandProbe.Refusal::command)
				.toList();
			deniedCount += denied.size();
			if (!denied.isEmpty()) {
				problems.add("the " + endpoint.role() + " user " + RedisFailures.userName(endpoint) + " may not run "
						+ upper(denied));
				grants.add("on the " + endpoint.role() + " " + endpoint.redacted() + ": "
						+ RedisFailures.grant(endpoint, denied));
			}
			if (!missing.isEmpty()) {
				problems.add("the " + endpoint.role() + " does not know " + upper(missing));
				unknown.add(endpoint.role());
			}
		}
		List<String> hints = new ArrayList<>();
		if (!grants.isEmpty()) {
			hints.add("grant " + ((deniedCount > 1) ? "them " : "it ") + String.join("; ", grants));
		}
		if (!unknown.isEmpty()) {
			hints.add("a command the " + String.join(" or the ", unknown)
					+ " does not know was disabled or renamed: enable it for keyferry's user");
		}
		String hint = String.join("; ", hints);
		return KeyferryException.usage(String.join(", and ", problems) + ", which this copy needs", hint);
	}

	private static String upper(List<String> commands) {
		return String.join(", ", commands.stream().map((c) -> c.toUpperCase(Locale.ROOT)).toList());
	}

	private static void checkScanType(RedisCommands<byte[], byte[]> source, CopySettings settings) {
		if (settings.type() == null) {
			return;
		}
		try {
			source.scan(ScanCursor.INITIAL, KeyScanArgs.Builder.limit(1).type(settings.type()));
		}
		catch (RedisCommandExecutionException ex) {
			if (String.valueOf(ex.getMessage()).contains("syntax")) {
				throw KeyferryException.usage("the source does not support SCAN … TYPE",
						"--type needs Redis 6.0 or newer on the source; filter with --match instead");
			}
			throw RedisFailures.describe("source", settings.source(), ex);
		}
	}

}
