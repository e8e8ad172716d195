package io.keyferry.job;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import io.keyferry.KeyferryException;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.RdbVersion;
import io.keyferry.redis.RedisConnector;
import io.keyferry.redis.Restorer;
import io.keyferry.redis.ServerInfo;
import io.lettuce.core.KeyScanArgs;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.sync.RedisCommands;
import org.springframework.boot.convert.DurationStyle;

/**
 * The checks of both servers before anything is written: reachable, authenticated,
 * permitted, standalone, not the same database, and the target able to read the source's
 * payloads. {@code keyferry copy} {@link #start starts} them on a thread of their own
 * while Spring and the job repository start (the first Lettuce connection of a process
 * costs a few hundred milliseconds of set-up), as soon as Spring has set up logging, and
 * the copy waits for their result before it reads the job repository.
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
		Endpoint source = settings.source();
		Endpoint target = settings.target();
		try (RedisConnector.Connection s = connector.connect(source);
				RedisConnector.Connection t = connector.connect(target)) {
			ServerInfo sourceInfo = RedisConnector.info(s.connection(), source);
			ServerInfo targetInfo = RedisConnector.info(t.connection(), target);
			if (targetInfo.clusterEnabled()) {
				throw KeyferryException.usage("the target " + target.redacted() + " is a Redis Cluster node",
						"a Redis Cluster target is not supported yet: copy to a standalone server "
								+ "(a cluster source is supported)");
			}
			long sourceKeys = sourceInfo.keys();
			if (sourceInfo.clusterEnabled()) {
				if (source.database() != 0) {
					throw KeyferryException.usage(
							"the source " + source.redacted() + " is a Redis Cluster, which has database 0 only",
							"remove the /" + source.database() + " from --source");
				}
				sourceKeys = clusterKeys(connector, source, s.connection());
			}
			if (sourceInfo.runId().equals(targetInfo.runId()) && source.database() == target.database()) {
				throw KeyferryException.usage("the source and the target are the same database",
						"point --target at another server or database");
			}
			var sourceRdb = RdbVersion.ofRedisVersion(sourceInfo.version());
			var targetRdb = RdbVersion.ofRedisVersion(targetInfo.version());
			if (sourceRdb.isPresent() && targetRdb.isPresent() && sourceRdb.getAsInt() > targetRdb.getAsInt()) {
				KeyferryException tooOld = Restorer.targetTooOld(sourceRdb.getAsInt(), targetRdb.getAsInt());
				throw KeyferryException.usage(
						"the target (Redis " + targetInfo.version() + ") is older than the source (Redis "
								+ sourceInfo.version() + "): "
								+ tooOld.getMessage().replace("the target is older than the source: ", ""),
						tooOld.getHint());
			}
			probeSource(s.connection().sync(), settings);
			probeTarget(t.connection().sync(), settings);
			return sourceKeys;
		}
	}

	/**
	 * The keys of every master of a cluster source (DBSIZE counts one node's).
	 */
	private static long clusterKeys(RedisConnector connector, Endpoint seed,
			io.lettuce.core.api.StatefulRedisConnection<byte[], byte[]> connection) {
		io.keyferry.redis.ClusterNodes topology = io.keyferry.redis.ClusterSource.nodes(connection);
		io.keyferry.redis.ClusterSource.checkServed(topology, seed);
		long keys = 0;
		for (io.keyferry.redis.ClusterNodes.Node master : topology.masters()) {
			try (RedisConnector.Connection node = connector
				.connect(io.keyferry.redis.ClusterSource.endpointOf(seed, master))) {
				keys += node.connection().sync().dbsize();
			}
		}
		return keys;
	}

	private static void probeSource(RedisCommands<byte[], byte[]> source, CopySettings settings) {
		byte[] probe = ("keyferry:probe:" + UUID.randomUUID()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
		try {
			KeyScanArgs args = KeyScanArgs.Builder.limit(1);
			if (settings.type() != null) {
				args.type(settings.type());
			}
			source.scan(ScanCursor.INITIAL, args);
		}
		catch (RedisCommandExecutionException ex) {
			if (settings.type() != null && String.valueOf(ex.getMessage()).contains("syntax")) {
				throw KeyferryException.usage("the source does not support SCAN … TYPE",
						"--type needs Redis 6.0 or newer on the source; filter with --match instead");
			}
			checkPermission(settings.source(), ex);
		}
		boolean expireTime = RdbVersion
			.ofRedisVersion(source.info("server")
				.lines()
				.filter((line) -> line.startsWith("redis_version:"))
				.map((line) -> line.substring("redis_version:".length()).trim())
				.findFirst()
				.orElse(null))
			.orElse(0) >= 10;
		for (Runnable command : List.<Runnable>of(() -> source.dump(probe), () -> source.pttl(probe),
				() -> source.time(), () -> {
					if (expireTime) {
						source.pexpiretime(probe);
					}
				})) {
			try {
				command.run();
			}
			catch (RedisCommandExecutionException ex) {
				checkPermission(settings.source(), ex);
			}
		}
	}

	private static void probeTarget(RedisCommands<byte[], byte[]> target, CopySettings settings) {
		byte[] probe = ("keyferry:probe:" + UUID.randomUUID()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
		try {
			target.time();
			if (settings.dryRun()) {
				target.exists(probe);
			}
			else {
				// an invalid payload: the server checks permissions first, then rejects
				// it
				target.restore(probe, 0, new byte[] { 0 });
			}
		}
		catch (RedisCommandExecutionException ex) {
			String message = String.valueOf(ex.getMessage());
			if (message.contains("payload version or checksum") || message.contains("Bad data format")) {
				return;
			}
			checkPermission(settings.target(), ex);
		}
	}

	private static void checkPermission(Endpoint endpoint, RedisCommandExecutionException ex) {
		String message = String.valueOf(ex.getMessage());
		if (message.startsWith("NOPERM") && !message.contains("run the")) {
			// a key-pattern restriction on the probe key only: real keys may be allowed
			return;
		}
		if (message.startsWith("MOVED ") || message.startsWith("ASK ")) {
			// a cluster node redirects a key of another node's slot after its ACL check
			return;
		}
		KeyferryException described = io.keyferry.redis.RedisFailures.describe(endpoint.role(), endpoint, ex);
		throw KeyferryException.usage(described.getMessage(), described.getHint(), ex);
	}

}
