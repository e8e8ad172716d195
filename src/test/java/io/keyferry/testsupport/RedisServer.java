package io.keyferry.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import io.keyferry.testsupport.ServerRuntime.PortInUseException;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.ClientOptions.DisconnectedBehavior;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;

/**
 * A redis-server started by the tests on a free loopback port with its own temporary
 * directory, without persistence unless asked ({@code --save "" --appendonly no}), ready
 * once it answers PING. It is only ever signalled through its own process handle, never
 * by name or port, so other servers (such as one on 6379) are never touched.
 * {@link #restart()} keeps port, directory and data, and gives a new process with a new
 * run_id. Not thread-safe: one test owns it.
 */
public final class RedisServer implements AutoCloseable {

	static final String HOST = "127.0.0.1";

	private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(10);

	/**
	 * The fixture's own command timeout. Comparisons pipeline a DUMP of every key, and
	 * the timeout runs from the send: three 100 MB values on a loaded 2-core machine took
	 * longer than 10 s to come back (LauncherJarTests), with nothing wrong.
	 */
	private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

	private static final int START_ATTEMPTS = 5;

	/** The cluster bus listens on the client port + 10000 unless configured otherwise. */
	static final int CLUSTER_BUS_OFFSET = 10000;

	private static final Set<RedisServer> OPEN = ConcurrentHashMap.newKeySet();

	static {
		Runtime.getRuntime().addShutdownHook(new Thread(RedisServer::killLeftovers, "keyferry-redis-cleanup"));
	}

	private final ServerRuntime runtime;

	private final Path dir;

	private final List<String> configArgs;

	private final String password;

	private final String description;

	private final Duration clockOffset;

	private final boolean clusterBusPort;

	private int port;

	private RedisClient client;

	private StatefulRedisConnection<String, String> connection;

	private StatefulRedisConnection<byte[], byte[]> binaryConnection;

	private boolean closed;

	private RedisServer(ServerRuntime runtime, Path dir, List<String> configArgs, String password, String description,
			Duration clockOffset, boolean clusterBusPort) {
		this.runtime = runtime;
		this.dir = dir;
		this.configArgs = List.copyOf(configArgs);
		this.password = password;
		this.description = description;
		this.clockOffset = clockOffset;
		this.clusterBusPort = clusterBusPort;
	}

	/**
	 * Starts a server with the default binary (see {@link Builder#start()}).
	 * @return the running server
	 */
	public static RedisServer start() {
		return builder().start();
	}

	/**
	 * Starts the Redis 6.2 server shipped in the embedded-redis jar: a target older than
	 * the source, whose RDB version rejects newer DUMP payloads.
	 * @return the running server
	 */
	public static RedisServer startOld() {
		return builder().old().start();
	}

	public static Builder builder() {
		return new Builder();
	}

	public String host() {
		return HOST;
	}

	public int port() {
		return this.port;
	}

	/**
	 * The URI without credentials, e.g. {@code redis://127.0.0.1:40123}.
	 * @return the URI
	 */
	public String uri() {
		return "redis://" + HOST + ":" + this.port;
	}

	/**
	 * The URI with credentials, e.g. {@code redis://reader:secret@127.0.0.1:40123}.
	 * @param username the ACL user ({@code default} for {@code --requirepass})
	 * @param password the password
	 * @return the URI, user and password percent-encoded
	 */
	public String uri(String username, String password) {
		return "redis://" + encode(username) + ":" + encode(password) + "@" + HOST + ":" + this.port;
	}

	/**
	 * A Lettuce URI authenticated like the fixture's own connections, with a 10 s
	 * timeout.
	 * @return the URI
	 */
	public RedisURI redisUri() {
		RedisURI.Builder builder = RedisURI.Builder.redis(HOST, this.port).withTimeout(COMMAND_TIMEOUT);
		if (this.password != null) {
			builder.withPassword(this.password.toCharArray());
		}
		return builder.build();
	}

	/**
	 * How far this server's wall clock is ahead of this machine's (negative: behind), as
	 * set by {@link Builder#clockOffset(Duration)}; zero by default.
	 * @return the offset
	 */
	public Duration clockOffset() {
		return this.clockOffset;
	}

	/**
	 * The process id of the current redis-server, -1 when it runs in a container.
	 * @return the pid
	 */
	public long pid() {
		return this.runtime.pid();
	}

	public boolean isRunning() {
		return !this.closed && this.runtime.isAlive();
	}

	/**
	 * The {@code redis_version} of {@code INFO server}.
	 * @return the version, e.g. {@code 7.0.15}
	 */
	public String version() {
		return info("redis_version");
	}

	/**
	 * The {@code run_id} of {@code INFO server}: it changes with every new process.
	 * @return the run id
	 */
	public String runId() {
		return info("run_id");
	}

	/**
	 * One field of {@code INFO}, e.g. {@code process_id} or {@code used_memory}.
	 * @param field the field name
	 * @return its value
	 */
	public String info(String field) {
		String prefix = field + ":";
		return sync().info()
			.lines()
			.filter((line) -> line.startsWith(prefix))
			.map((line) -> line.substring(prefix.length()).trim())
			.findFirst()
			.orElseThrow(() -> new IllegalArgumentException("INFO has no field '" + field + "'"));
	}

	/**
	 * Commands with String keys and values over a connection the fixture owns and reopens
	 * after a restart: obtain it again after {@link #restart()} rather than keeping it.
	 * @return synchronous commands
	 */
	public RedisCommands<String, String> sync() {
		checkOpen();
		if (this.connection == null || !this.connection.isOpen()) {
			this.connection = client().connect(StringCodec.UTF8, redisUri());
		}
		return this.connection.sync();
	}

	/**
	 * Binary-safe commands ({@link ByteArrayCodec}) over a connection the fixture owns;
	 * obtain it again after {@link #restart()}.
	 * @return synchronous commands
	 */
	public RedisCommands<byte[], byte[]> binarySync() {
		checkOpen();
		if (this.binaryConnection == null || !this.binaryConnection.isOpen()) {
			this.binaryConnection = client().connect(ByteArrayCodec.INSTANCE, redisUri());
		}
		return this.binaryConnection.sync();
	}

	/**
	 * A new binary-safe connection that the caller owns and closes, e.g. to pipeline with
	 * auto-flush off.
	 * @return the connection
	 */
	public StatefulRedisConnection<byte[], byte[]> connect() {
		checkOpen();
		return client().connect(ByteArrayCodec.INSTANCE, redisUri());
	}

	/**
	 * Restarts the server like an operator would: {@code SHUTDOWN SAVE} (skipped when it
	 * is not running, e.g. after {@link #kill()}), then a new process on the same port
	 * and directory that loads the saved data.
	 */
	public void restart() {
		checkOpen();
		closeConnections();
		if (this.runtime.isAlive()) {
			shutdownSave();
		}
		try {
			startOn(this.port);
		}
		catch (PortInUseException ex) {
			throw startFailure("could not restart on the same port: " + ex.getMessage());
		}
	}

	/**
	 * Stops the server gracefully (SIGTERM to its own process) and waits for it to exit;
	 * the directory stays, so {@link #restart()} can start it again.
	 */
	public void stop() {
		closeConnections();
		this.runtime.stop();
	}

	/**
	 * Kills the server with SIGKILL (its own process only) and waits for it to exit; the
	 * directory stays, so {@link #restart()} can start it again.
	 */
	public void kill() {
		closeConnections();
		this.runtime.kill();
	}

	/**
	 * The end of the current process's log.
	 * @return the log text
	 */
	public String log() {
		return this.runtime.log();
	}

	/**
	 * Stops the server and deletes its directory. Idempotent.
	 */
	@Override
	public void close() {
		if (this.closed) {
			return;
		}
		this.closed = true;
		OPEN.remove(this);
		try {
			closeConnections();
			if (this.client != null) {
				this.client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
			}
		}
		finally {
			try {
				this.runtime.destroy();
			}
			finally {
				deleteDir(this.dir);
			}
		}
	}

	@Override
	public String toString() {
		return "RedisServer[" + uri() + ", pid " + pid() + ", " + this.description + "]";
	}

	/** The server's own directory, or {@code null} for a container. */
	Path dir() {
		return this.dir;
	}

	ServerRuntime runtime() {
		return this.runtime;
	}

	/**
	 * Sleeps between polls of a test; an interrupt ends the test.
	 * @param millis how long
	 */
	public static void pause(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("interrupted", ex);
		}
	}

	private void startOnFreePort() {
		for (int attempt = 1;; attempt++) {
			try {
				startOn(this.clusterBusPort ? freePortWithClusterBus() : freePort());
				return;
			}
			catch (PortInUseException ex) {
				if (attempt == START_ATTEMPTS) {
					throw startFailure("no free port after " + START_ATTEMPTS + " attempts: " + ex.getMessage());
				}
			}
		}
	}

	private void startOn(int port) {
		this.port = port;
		this.runtime.start(port, this.configArgs);
		awaitReady();
		checkClockShifted();
	}

	/**
	 * A server asked to run on a shifted clock must really do so (the preload has no
	 * effect on a statically linked binary): a test of clock skew must not pass on one
	 * clock.
	 */
	private void checkClockShifted() {
		if (this.clockOffset.isZero()) {
			return;
		}
		long before = System.currentTimeMillis();
		List<String> time = sync().time();
		long after = System.currentTimeMillis();
		long onThisClock = Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000
				- this.clockOffset.toMillis();
		if (onThisClock < before - 1000 || onThisClock > after + 1000) {
			closeConnections();
			this.runtime.kill();
			throw startFailure("its clock is not " + this.clockOffset.toMillis() + " ms off this machine's but "
					+ (onThisClock - before + this.clockOffset.toMillis())
					+ " ms: the clock shim works only with a dynamically linked redis-server");
		}
	}

	private void awaitReady() {
		long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
		while (true) {
			if (!this.runtime.isAlive()) {
				if (log().contains("Address already in use")) {
					throw new PortInUseException("port " + this.port + " is in use");
				}
				throw startFailure("redis-server exited during startup");
			}
			String reply = RespProbe.ping(this.port);
			if (reply.equals("+PONG") || reply.startsWith("-NOAUTH")) {
				checkAnsweredByOwnProcess();
				return;
			}
			if (System.nanoTime() > deadline) {
				this.runtime.kill();
				throw startFailure("redis-server did not answer PING within " + STARTUP_TIMEOUT.toSeconds()
						+ " s (last answer: " + reply + ")");
			}
			pause(20);
		}
	}

	/**
	 * Between our process failing to bind and exiting, another server on the same port
	 * could answer the PING: the process id tells them apart.
	 */
	private void checkAnsweredByOwnProcess() {
		long pid = this.runtime.pid();
		if (pid <= 0) {
			return;
		}
		String answeredBy;
		try {
			answeredBy = info("process_id");
		}
		catch (RuntimeException ex) {
			answeredBy = ex.getMessage();
		}
		if (!Long.toString(pid).equals(answeredBy)) {
			closeConnections();
			this.runtime.kill();
			throw new PortInUseException("port " + this.port + " is answered by another server (" + answeredBy + ")");
		}
	}

	private void shutdownSave() {
		// On success the server closes the connection without a reply.
		String refusal = RespProbe.shutdownSave(this.port, this.password);
		if (refusal != null) {
			throw startFailure("SHUTDOWN SAVE was refused: " + refusal);
		}
		this.runtime.awaitExit(Duration.ofSeconds(30));
	}

	private IllegalStateException startFailure(String problem) {
		return new IllegalStateException(problem + " [" + this.description + ", port " + this.port + ", dir " + this.dir
				+ "]\n--- redis-server log ---\n" + log());
	}

	private RedisClient client() {
		if (this.client == null) {
			RedisClient client = RedisClient.create(SharedResources.INSTANCE);
			client.setOptions(ClientOptions.builder()
				.autoReconnect(false)
				.disconnectedBehavior(DisconnectedBehavior.REJECT_COMMANDS)
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

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("no free port on " + HOST, ex);
		}
	}

	/**
	 * A free port whose cluster bus port (port + 10000) is free too. Either may be taken
	 * before redis-server binds it: it then exits with "Address already in use" and the
	 * start is retried on another port.
	 */
	private static int freePortWithClusterBus() {
		for (int attempt = 0; attempt < 100; attempt++) {
			int port = freePort();
			if (port + CLUSTER_BUS_OFFSET <= 65535 && isFree(port + CLUSTER_BUS_OFFSET)) {
				return port;
			}
		}
		throw new IllegalStateException("no free port on " + HOST + " whose port + " + CLUSTER_BUS_OFFSET + " is free");
	}

	private static boolean isFree(int port) {
		try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

	private static String encode(String value) {
		StringBuilder encoded = new StringBuilder();
		for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
			char c = (char) (b & 0xff);
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
				encoded.append(c);
			}
			else {
				encoded.append('%').append(String.format("%02X", b & 0xff));
			}
		}
		return encoded.toString();
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

	private static void killLeftovers() {
		for (RedisServer server : OPEN) {
			try {
				server.runtime.kill();
				deleteDir(server.dir);
			}
			catch (RuntimeException ex) {
				// The JVM is exiting: nothing else to do.
			}
		}
	}

	/**
	 * Options for a {@link RedisServer}. Not thread-safe.
	 */
	public static final class Builder {

		private final List<String> args = new ArrayList<>();

		private String password;

		private boolean persistence;

		private boolean old;

		private Path binary;

		private Duration clockOffset = Duration.ZERO;

		private boolean clusterBusPort;

		private Builder() {
		}

		/**
		 * Adds redis-server arguments after the fixture's defaults, e.g.
		 * {@code args("--maxmemory", "2mb", "--maxmemory-policy", "noeviction")}.
		 * @param args the arguments
		 * @return this builder
		 */
		public Builder args(String... args) {
			this.args.addAll(Arrays.asList(args));
			return this;
		}

		/**
		 * Requires a password for the default user ({@code --requirepass}); the fixture's
		 * own connections authenticate with it.
		 * @param password the password
		 * @return this builder
		 */
		public Builder password(String password) {
			this.password = password;
			return this;
		}

		/**
		 * Adds an enabled ACL user ({@code --user name on >password rules...}), e.g.
		 * {@code user("reader", "pw", "~*", "+@read")}; without rules the user may do
		 * everything.
		 * @param name the user name
		 * @param password the password
		 * @param rules ACL rules
		 * @return this builder
		 */
		public Builder user(String name, String password, String... rules) {
			this.args.addAll(List.of("--user", name, "on", ">" + password));
			this.args.addAll((rules.length > 0) ? Arrays.asList(rules) : List.of("~*", "&*", "+@all"));
			return this;
		}

		/**
		 * Persists every write (append-only file with fsync always, plus RDB snapshots)
		 * so that the data survives {@link RedisServer#kill()} followed by
		 * {@link RedisServer#restart()}.
		 * @return this builder
		 */
		public Builder persistence() {
			this.persistence = true;
			return this;
		}

		/**
		 * Runs the Redis 6.2 server of the embedded-redis jar instead of the default
		 * binary.
		 * @return this builder
		 */
		public Builder old() {
			this.old = true;
			return this;
		}

		/**
		 * Runs the server on a wall clock shifted from this machine's, like a server on a
		 * host whose clock is off: its {@code TIME}, expiries and {@code PEXPIRETIME}
		 * follow the shifted clock (see {@link ClockShift}; needs a local binary and a C
		 * compiler).
		 * @param offset how far its clock is ahead (negative: behind)
		 * @return this builder
		 */
		public Builder clockOffset(Duration offset) {
			this.clockOffset = offset;
			return this;
		}

		Builder binary(Path binary) {
			this.binary = binary;
			return this;
		}

		/**
		 * Chooses a port whose cluster bus port (port + 10000) is free too, for a node of
		 * a {@link RedisCluster} or a lone {@code --cluster-enabled yes} server.
		 * @return this builder
		 */
		public Builder clusterBusPort() {
			this.clusterBusPort = true;
			return this;
		}

		/**
		 * Starts the server: {@code KEYFERRY_REDIS_SERVER} or {@code redis-server} on the
		 * PATH, else a {@code redis:7.0} container when Docker is available, else the
		 * Redis 6.2 binary of embedded-redis; fails with what to install when none works.
		 * @return the running server
		 */
		public RedisServer start() {
			Path binary = this.binary;
			String description = (binary != null) ? binary.toString() : null;
			if (binary == null && this.old) {
				binary = RedisBinaries.embeddedRedis62();
				description = "Redis 6.2 of embedded-redis";
			}
			if (binary == null) {
				RedisBinaries.Choice choice = RedisBinaries.choose();
				binary = choice.binary().orElse(null);
				description = choice.binary().map((path) -> path + " from ").orElse("redis:7.0 container from ")
						+ choice.description();
			}
			Path dir = null;
			ServerRuntime runtime;
			boolean shifted = !this.clockOffset.isZero();
			if (binary != null) {
				dir = createDir();
				runtime = new LocalServerRuntime(binary, dir,
						shifted ? ClockShift.environment(this.clockOffset) : Map.of());
			}
			else if (shifted) {
				throw new IllegalStateException(
						"a server with a shifted clock runs only from a local redis-server binary: "
								+ RedisBinaries.NOT_FOUND);
			}
			else {
				runtime = new ContainerServerRuntime();
			}
			RedisServer server = new RedisServer(runtime, dir, configArgs(), this.password, description,
					this.clockOffset, this.clusterBusPort);
			OPEN.add(server);
			try {
				server.startOnFreePort();
			}
			catch (RuntimeException ex) {
				server.close();
				throw ex;
			}
			return server;
		}

		private List<String> configArgs() {
			List<String> configArgs = new ArrayList<>();
			if (this.persistence) {
				configArgs.addAll(List.of("--save", "1 1", "--appendonly", "yes", "--appendfsync", "always"));
			}
			configArgs.addAll(this.args);
			if (this.password != null) {
				configArgs.addAll(List.of("--requirepass", this.password));
			}
			return configArgs;
		}

		private static Path createDir() {
			try {
				return Files.createTempDirectory("keyferry-redis-");
			}
			catch (IOException ex) {
				throw new UncheckedIOException("could not create a directory for redis-server", ex);
			}
		}

	}

	/**
	 * One Lettuce {@link ClientResources} for all fixture clients; its threads are
	 * daemons.
	 */
	private static final class SharedResources {

		static final ClientResources INSTANCE = DefaultClientResources.builder()
			.ioThreadPoolSize(2)
			.computationThreadPoolSize(2)
			.build();

	}

}
