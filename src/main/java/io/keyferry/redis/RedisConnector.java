package io.keyferry.redis;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.keyferry.KeyferryException;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.NettyCustomizer;

/**
 * Opens binary-safe Lettuce connections configured for a batch job: commands fail fast
 * while disconnected (instead of queueing without bound), have an explicit timeout, and
 * the connection reconnects in the background so that a retry can succeed. One instance
 * shares its client resources between all connections; thread-safe; close it after every
 * connection is closed.
 */
public final class RedisConnector implements AutoCloseable {

	/**
	 * No timer per command: pipelined batches are awaited with their own deadline, and
	 * the synchronous API applies the URI's timeout.
	 */
	static final TimeoutOptions NO_COMMAND_TIMEOUTS = TimeoutOptions.builder().timeoutCommands(false).build();

	private final ClientResources resources;

	private final Duration timeout;

	private final TimeoutOptions timeoutOptions;

	private final EventLoops eventLoops;

	public RedisConnector(Duration timeout) {
		this(timeout, NO_COMMAND_TIMEOUTS, DefaultClientResources.DEFAULT_NETTY_CUSTOMIZER);
	}

	/**
	 * A connector with other command timeouts or a hook on each connection's channel
	 * (tests use it to watch what goes over the wire).
	 * @param timeout the connect and synchronous command timeout
	 * @param timeoutOptions Lettuce's command timeouts
	 * @param nettyCustomizer called for each new channel
	 */
	RedisConnector(Duration timeout, TimeoutOptions timeoutOptions, NettyCustomizer nettyCustomizer) {
		this.timeout = timeout;
		this.timeoutOptions = timeoutOptions;
		this.eventLoops = new EventLoops(nettyCustomizer);
		// no per-command latency histograms: keyferry measures batches itself
		this.resources = DefaultClientResources.builder()
			.ioThreadPoolSize(2)
			.computationThreadPoolSize(2)
			.commandLatencyRecorder(CommandLatencyRecorder.disabled())
			.nettyCustomizer(this.eventLoops)
			.build();
	}

	/**
	 * A connected server.
	 *
	 * @param client the client, closed with the connection
	 * @param connection the binary-safe connection
	 */
	public record Connection(RedisClient client,
			StatefulRedisConnection<byte[], byte[]> connection) implements AutoCloseable {

		@Override
		public void close() {
			try {
				this.connection.close();
			}
			finally {
				this.client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
			}
		}

	}

	/**
	 * Connects and authenticates, translating failures into messages with hints. An
	 * endpoint with several seeds connects to the first that answers, in the order given;
	 * when none does, the last one's failure is thrown, the others' suppressed in it. A
	 * Sentinel endpoint connects to the master its Sentinels name now (Lettuce asks them
	 * in the order given), and again on every reconnection: after a failover the
	 * connection leads to the new master.
	 * @param endpoint the server
	 * @return the connection
	 */
	public Connection connect(Endpoint endpoint) {
		if (endpoint.moreSeeds().isEmpty() || endpoint.isSentinel()) {
			return connectSeed(endpoint);
		}
		List<RuntimeException> failures = new ArrayList<>();
		for (Endpoint seed : endpoint.seeds()) {
			try {
				return connectSeed(seed);
			}
			catch (RuntimeException ex) {
				failures.add(ex);
			}
		}
		RuntimeException last = failures.get(failures.size() - 1);
		failures.subList(0, failures.size() - 1).forEach(last::addSuppressed);
		throw last;
	}

	private Connection connectSeed(Endpoint endpoint) {
		try {
			return connectOnce(endpoint);
		}
		catch (KeyferryException ex) {
			// Lettuce's handshake can end as "Connection closed prematurely" when it
			// closes the channel itself after a failed AUTH: the channel's end and the
			// reply race. Once more tells a refused password from a dropped connection.
			if (!closedPrematurely(ex)) {
				throw ex;
			}
			return connectOnce(endpoint);
		}
	}

	private static boolean closedPrematurely(Throwable failure) {
		for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
			if (t instanceof io.lettuce.core.RedisConnectionException && t.getCause() == null
					&& String.valueOf(t.getMessage()).contains("closed prematurely")) {
				return true;
			}
		}
		return false;
	}

	private Connection connectOnce(Endpoint endpoint) {
		RedisClient client = new BatchingRedisClient(this.resources, endpoint.toRedisUri(this.timeout));
		ClientOptions.Builder options = ClientOptions.builder();
		if (endpoint.tls()) {
			options.sslOptions(endpoint.tlsSettings().sslOptions());
		}
		client.setOptions(options.autoReconnect(true)
			.disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
			.protocolVersion(ProtocolVersion.RESP2)
			.timeoutOptions(this.timeoutOptions)
			.socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(5)).keepAlive(true).build())
			// a plain queue of sent commands: the hash index only speeds up removing
			// cancelled commands, and costs a hash lookup per command and reply
			.useHashIndexQueue(false)
			.build());
		try {
			// one connect at a time: the channel initialised meanwhile is this one's
			synchronized (this.eventLoops) {
				java.util.concurrent.atomic.AtomicReference<io.netty.channel.Channel> channel = this.eventLoops
					.connecting();
				StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE);
				this.eventLoops.register(connection, channel);
				return new Connection(client, connection);
			}
		}
		catch (RuntimeException ex) {
			client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
			throw describeConnectFailure(endpoint, ex);
		}
	}

	/**
	 * Reads the server's identity, version and key count, with {@code INFO} only (the key
	 * count from its keyspace section rather than {@code DBSIZE}: one permission fewer to
	 * ask of the user).
	 * @param connection the connection
	 * @param endpoint the endpoint (for messages)
	 * @return the information
	 */
	public static ServerInfo info(StatefulRedisConnection<byte[], byte[]> connection, Endpoint endpoint) {
		try {
			String info = connection.sync().info("server");
			String cluster = connection.sync().info("cluster");
			String keyspace = connection.sync().info("keyspace");
			return ServerInfo.parse(info + "\n" + cluster + "\n" + keyspace, endpoint.database());
		}
		catch (RuntimeException ex) {
			throw RedisFailures.describe(endpoint.role(), endpoint, ex);
		}
	}

	/**
	 * Reads the databases that hold keys and their key counts, with {@code INFO keyspace}
	 * (which every database of the server shares).
	 * @param connection the connection
	 * @param endpoint the endpoint (for messages)
	 * @return key counts by database number, ascending; empty databases left out
	 */
	public static java.util.SortedMap<Integer, Long> keyspace(StatefulRedisConnection<byte[], byte[]> connection,
			Endpoint endpoint) {
		try {
			return ServerInfo.keyspace(connection.sync().info("keyspace"));
		}
		catch (RuntimeException ex) {
			throw RedisFailures.describe(endpoint.role(), endpoint, ex);
		}
	}

	/**
	 * Reads the databases that hold keys on a connection of its own.
	 * @param endpoint the server
	 * @return key counts by database number, ascending
	 */
	public java.util.SortedMap<Integer, Long> keyspace(Endpoint endpoint) {
		try (Connection connection = connect(endpoint)) {
			return keyspace(connection.connection(), endpoint);
		}
	}

	/**
	 * Reads the identity of the server process behind a connection: its {@code run_id},
	 * new for every process (a restart or a failover gives another one).
	 * @param connection the connection
	 * @return the run_id
	 */
	public static String runId(StatefulRedisConnection<byte[], byte[]> connection) {
		return ServerInfo.parse(connection.sync().info("server"), 0).runId();
	}

	/**
	 * Reads the identity of the server process an endpoint leads to now, on a connection
	 * of its own.
	 * @param endpoint the server
	 * @return the run_id
	 */
	public String runId(Endpoint endpoint) {
		try (Connection connection = connect(endpoint)) {
			return runId(connection.connection());
		}
	}

	static KeyferryException describeConnectFailure(Endpoint endpoint, Throwable failure) {
		String where = endpoint.role() + " " + endpoint.redacted();
		if (endpoint.isSentinel()) {
			KeyferryException sentinelFailure = describeSentinelFailure(endpoint, failure);
			if (sentinelFailure != null) {
				return sentinelFailure;
			}
		}
		for (Throwable t = failure; t != null; t = t.getCause()) {
			if (t instanceof RedisCommandExecutionException ex) {
				String message = String.valueOf(ex.getMessage());
				String code = RedisFailures.code(message);
				if (code.equals("WRONGPASS") || code.equals("NOAUTH") || message.contains("AUTH")
						|| message.toLowerCase(Locale.ROOT).contains("password")) {
					return RedisFailures.authentication(endpoint, failure);
				}
				if (code.equals("NOPERM")) {
					// a command of the connection itself: PING without credentials,
					// SELECT
					String command = RedisFailures.deniedCommand(message);
					if (command == null) {
						return RedisFailures.describe(endpoint.role(), endpoint, ex);
					}
					return KeyferryException.usage(
							"the " + endpoint.role() + " user " + RedisFailures.userName(endpoint) + " may not run "
									+ command.toUpperCase(Locale.ROOT) + ", which this copy needs",
							"grant it on the " + endpoint.role() + " " + endpoint.redacted() + ": "
									+ RedisFailures.grant(endpoint, java.util.List.of(command)),
							failure);
				}
				if (code.equals("LOADING")) {
					// a server that restarted reads its data set back before it serves
					return new KeyferryException(where + " is loading its data set (it has just started): " + message,
							"wait until it has loaded (INFO persistence: loading:0), then run the same command again",
							failure);
				}
				if (message.contains("SELECT is not allowed in cluster mode")) {
					return KeyferryException.usage(
							"the " + endpoint.role() + " " + endpoint.redacted()
									+ " is a Redis Cluster, which has database 0 only",
							"remove the /" + endpoint.database() + " from --" + endpoint.role(), failure);
				}
				if (message.contains("DB index is out of range")) {
					return KeyferryException.usage(where + ": database " + endpoint.database() + " does not exist",
							"use a database number below the server's 'databases' setting", failure);
				}
				return KeyferryException.usage("cannot use " + where + ": " + message,
						"check the URI and the server's configuration", failure);
			}
			if (t instanceof UnknownHostException) {
				return KeyferryException.usage("cannot connect to " + where + ": unknown host " + endpoint.host(),
						"check the host name in --" + endpoint.role(), failure);
			}
			if (t instanceof ConnectException) {
				return KeyferryException.usage("cannot connect to " + where + ": connection refused",
						"check that Redis is running on " + endpoint.address() + " and reachable from here"
								+ (endpoint.tls() ? "" : "; use rediss:// if the server requires TLS"),
						failure);
			}
			if (t instanceof javax.net.ssl.SSLException || t instanceof java.security.GeneralSecurityException) {
				return TlsFailures.describe(endpoint, failure);
			}
		}
		if (endpoint.tls() && TlsFailures.closedAfterHandshake(failure)) {
			return TlsFailures.describe(endpoint, failure);
		}
		return KeyferryException.usage("cannot connect to " + where + ": " + rootMessage(failure),
				"check the host, port and network; use rediss:// for TLS servers", failure);
	}

	/**
	 * Describes a failure to learn the master from the Sentinels (Lettuce's messages for
	 * an unknown master name and for Sentinels it could not use), or returns {@code null}
	 * for a failure of the master itself.
	 */
	private static KeyferryException describeSentinelFailure(Endpoint endpoint, Throwable failure) {
		String where = endpoint.role() + " " + endpoint.redacted();
		String sentinels = endpoint.address() + endpoint.moreSeeds()
			.stream()
			.map((seed) -> ", " + seed.address())
			.collect(java.util.stream.Collectors.joining());
		for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
			String message = String.valueOf(t.getMessage());
			if (message.startsWith("Cannot provide redisAddress using sentinel for masterId")) {
				return KeyferryException.usage(
						"the Sentinels of " + where + " know no master named '" + endpoint.sentinel().master() + "'",
						"check the name after # (SENTINEL MASTERS on a Sentinel lists the masters it watches)",
						failure);
			}
			if (message.startsWith("Cannot connect to a Redis Sentinel")) {
				String detail = sentinelRefusal(t);
				if (detail != null) {
					return KeyferryException
						.usage("the Sentinels of " + where + " refused keyferry's connection: " + detail,
								"a Sentinel with requirepass needs its password in "
										+ endpoint.sentinelPasswordVariable() + " (the URI's password is the master's)",
								failure);
				}
				return KeyferryException.usage("cannot reach a Sentinel of " + where + " (tried " + sentinels + ")",
						"check that Redis Sentinel runs there and is reachable from here (a Sentinel listens on port "
								+ DEFAULT_SENTINEL_PORT + " unless told otherwise)",
						failure);
			}
		}
		return null;
	}

	private static final int DEFAULT_SENTINEL_PORT = 26379;

	/**
	 * The error a Sentinel answered (an authentication failure), found among the causes
	 * and suppressed failures of Lettuce's "cannot connect" exception.
	 */
	private static String sentinelRefusal(Throwable failure) {
		List<Throwable> candidates = new ArrayList<>();
		candidates.add(failure);
		candidates.addAll(List.of(failure.getSuppressed()));
		for (Throwable candidate : candidates) {
			for (Throwable t = candidate; t != null && t.getCause() != t; t = t.getCause()) {
				if (t instanceof RedisCommandExecutionException) {
					String code = RedisFailures.code(String.valueOf(t.getMessage()));
					return code.isEmpty() ? "it answered an error" : "it answered " + code;
				}
			}
		}
		return null;
	}

	private static String rootMessage(Throwable failure) {
		Throwable t = failure;
		while (t.getCause() != null && t.getCause() != t) {
			t = t.getCause();
		}
		return String.valueOf(t.getMessage());
	}

	@Override
	public void close() {
		this.resources.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
	}

}
