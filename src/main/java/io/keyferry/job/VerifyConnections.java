package io.keyferry.job;

import java.util.HashMap;
import java.util.Map;

import io.keyferry.redis.ClusterTarget;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.KeyVerifier;
import io.keyferry.redis.MissingKeys;
import io.keyferry.redis.RdbVersion;
import io.keyferry.redis.RedisConnector;
import io.keyferry.redis.RedisFailures;
import io.keyferry.redis.ServerClock;
import io.keyferry.redis.ServerInfo;
import io.keyferry.redis.TargetRoute;

/**
 * Connections to both sides of a verify run outside its partitions (the scan of the
 * target for extra keys, the later passes and the fix): each side's seed and, for a
 * cluster, a connection per master that serves a key's slot. Opened when a step starts,
 * closed when it ends; in a run of every database, those of one database
 * ({@link OnDemand}). Not thread-safe.
 */
final class VerifyConnections implements AutoCloseable {

	private final RedisConnector.Connection source;

	private final RedisConnector.Connection target;

	private final ClusterTarget sourceCluster;

	private final ClusterTarget targetCluster;

	private final ServerInfo sourceInfo;

	private final ServerInfo targetInfo;

	private final KeyVerifier verifier;

	private final MissingKeys extraKeys;

	private final boolean sourceAbsolute;

	private final long sourceOffset;

	private final long targetOffset;

	VerifyConnections(VerifySettings settings, RedisConnector connector) {
		CopySettings copy = settings.copy();
		RedisConnector.Connection s = connector.connect(copy.source());
		RedisConnector.Connection t = null;
		ClusterTarget sc = null;
		ClusterTarget tc = null;
		try {
			t = connector.connect(copy.target());
			this.sourceInfo = RedisConnector.info(s.connection(), copy.source());
			this.targetInfo = RedisConnector.info(t.connection(), copy.target());
			sc = this.sourceInfo.clusterEnabled() ? new ClusterTarget(connector, copy.source()) : null;
			tc = this.targetInfo.clusterEnabled() ? new ClusterTarget(connector, copy.target()) : null;
			this.sourceAbsolute = RdbVersion.ofRedisVersion(this.sourceInfo.version()).orElse(0) >= 10;
			boolean targetAbsolute = RdbVersion.ofRedisVersion(this.targetInfo.version()).orElse(0) >= 10;
			this.sourceOffset = this.sourceAbsolute ? clockOffset(s, copy.source()) : 0;
			// a fix writes with RESTORE ... ABSTTL in the target's clock, as a copy does
			this.targetOffset = (targetAbsolute || settings.fix()) ? clockOffset(t, copy.target()) : 0;
			KeyVerifier.Options options = new KeyVerifier.Options(copy.timeout(), settings.ttlTolerance(),
					copy.renames(), this.sourceAbsolute, this.sourceOffset, targetAbsolute,
					targetAbsolute ? this.targetOffset : 0, this.targetInfo.version());
			TargetRoute sourceRoute = (sc != null) ? sc : TargetRoute.single(s.connection());
			TargetRoute targetRoute = (tc != null) ? tc : TargetRoute.single(t.connection());
			// a refusal of MEMORY USAGE was reported by the first pass
			this.verifier = new KeyVerifier(sourceRoute::connectionFor, copy.source(), targetRoute::connectionFor,
					copy.target(), options, CopySettings.BIG_VALUE_BYTES, (refusal) -> {
					});
			this.extraKeys = new MissingKeys(sourceRoute::connectionFor, targetRoute::connectionFor, copy.match(),
					copy.renames(), copy.timeout());
		}
		catch (RuntimeException ex) {
			closeAll(s, t, sc, tc);
			throw ex;
		}
		this.source = s;
		this.target = t;
		this.sourceCluster = sc;
		this.targetCluster = tc;
	}

	private static long clockOffset(RedisConnector.Connection connection, Endpoint endpoint) {
		try {
			return ServerClock.offsetMillis(connection.connection());
		}
		catch (RuntimeException ex) {
			throw RedisFailures.describe(endpoint.role(), endpoint, ex);
		}
	}

	KeyVerifier verifier() {
		return this.verifier;
	}

	/**
	 * Which target keys are extra: of the filter, in the target, and in the source under
	 * none of the names they can have been copied from.
	 * @return the check, routed to each side's node of a key
	 */
	MissingKeys extraKeys() {
		return this.extraKeys;
	}

	/**
	 * The source connection that serves a key: the seed, or a cluster's master of its
	 * slot.
	 * @param key the key
	 * @return the connection
	 */
	io.lettuce.core.api.StatefulRedisConnection<byte[], byte[]> sourceFor(byte[] key) {
		return (this.sourceCluster != null) ? this.sourceCluster.connectionFor(key) : this.source.connection();
	}

	/**
	 * Where writes to the target go.
	 * @return the seed, or a cluster target's masters
	 */
	TargetRoute targetRoute() {
		return (this.targetCluster != null) ? this.targetCluster : TargetRoute.single(this.target.connection());
	}

	ServerInfo sourceInfo() {
		return this.sourceInfo;
	}

	ServerInfo targetInfo() {
		return this.targetInfo;
	}

	boolean sourceAbsolute() {
		return this.sourceAbsolute;
	}

	long sourceOffset() {
		return this.sourceOffset;
	}

	long targetOffset() {
		return this.targetOffset;
	}

	/**
	 * The target's seed connection.
	 * @return the connection
	 */
	RedisConnector.Connection target() {
		return this.target;
	}

	boolean targetIsCluster() {
		return this.targetCluster != null;
	}

	/**
	 * The target's process now.
	 * @return its run_id
	 */
	String targetRunId() {
		return RedisConnector.runId(this.target.connection());
	}

	@Override
	public void close() {
		closeAll(this.source, this.target, this.sourceCluster, this.targetCluster);
	}

	private static void closeAll(AutoCloseable... resources) {
		for (AutoCloseable resource : resources) {
			if (resource != null) {
				try {
					resource.close();
				}
				catch (Exception ex) {
					// closing: nothing left to do with it
				}
			}
		}
	}

	/**
	 * The connections of a step, opened on first use and closed when the step ends
	 * ({@code afterStep}): one set per database of a run of every database
	 * ({@code --all-databases}), each selecting its database on both sides, or one set
	 * for the databases the endpoints name. Not thread-safe.
	 */
	static final class OnDemand {

		private final VerifySettings settings;

		private final RedisConnector connector;

		private final RunMonitor monitor;

		/** By database; the key {@code null} for the endpoints' databases. */
		private final Map<Integer, VerifyConnections> connections = new HashMap<>();

		OnDemand(VerifySettings settings, RedisConnector connector, RunMonitor monitor) {
			this.settings = settings;
			this.connector = connector;
			this.monitor = monitor;
		}

		/**
		 * The connections of a database, opened now if they are not (again with the
		 * back-off while a connection is lost or refused).
		 * @param database the database ({@code --all-databases}), {@code null} for the
		 * endpoints' databases
		 * @return the connections
		 */
		VerifyConnections get(Integer database) {
			VerifyConnections open = this.connections.get(database);
			if (open == null) {
				VerifySettings settings = inDatabase(this.settings, database);
				// the servers answered the pre-flight checks: a connection lost or
				// refused now is a server restarting or a network blip
				open = this.monitor.againOnLostConnection(settings.copy().backoff(),
						"lost a connection while connecting to the servers",
						() -> new VerifyConnections(settings, this.connector));
				this.connections.put(database, open);
			}
			return open;
		}

		/**
		 * Closes the connections that are open.
		 */
		void close() {
			this.connections.values().forEach(VerifyConnections::close);
			this.connections.clear();
		}

	}

	/**
	 * A run's settings with both endpoints selecting a database.
	 * @param settings the run's settings
	 * @param database the database, {@code null} for the endpoints' own
	 * @return the settings
	 */
	static VerifySettings inDatabase(VerifySettings settings, Integer database) {
		if (database == null) {
			return settings;
		}
		CopySettings copy = settings.copy();
		return settings
			.withCopy(copy.withEndpoints(copy.source().withDatabase(database), copy.target().withDatabase(database)));
	}

}
