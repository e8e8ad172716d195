package io.keyferry.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.sentinel.api.StatefulRedisSentinelConnection;
import io.lettuce.core.sentinel.api.sync.RedisSentinelCommands;

/**
 * A master, its replica and one {@code redis-server --sentinel} watching them, all local
 * processes on free loopback ports, for copies through Sentinel. The Sentinel has a
 * quorum of 1, a down-after of 1 s and a failover timeout of 5 s, so that
 * {@link #failover()} (an operator's {@code SENTINEL FAILOVER}) takes a second or two.
 * {@link #master()} is whichever server the Sentinel names now. Every process is
 * signalled only through its own handle. Not thread-safe: one test class owns it.
 */
public final class RedisSentinel implements AutoCloseable {

	/** The name the Sentinel monitors the master under. */
	public static final String MASTER_NAME = "mymaster";

	private static final Duration TIMEOUT = Duration.ofSeconds(30);

	private static final java.util.Set<Process> RUNNING = java.util.concurrent.ConcurrentHashMap.newKeySet();

	static {
		Runtime.getRuntime()
			.addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly), "keyferry-sentinel-cleanup"));
	}

	private final RedisServer first;

	private final RedisServer second;

	private final Path dir;

	private final Process process;

	private final int port;

	private final RedisClient client;

	private StatefulRedisSentinelConnection<String, String> connection;

	private final String sentinelPassword;

	/** The TLS ports of the two servers and of the Sentinel, or all 0 without TLS. */
	private final int[] tlsPorts;

	private RedisSentinel(RedisServer first, RedisServer second, Path dir, Process process, int port,
			String sentinelPassword, int[] tlsPorts) {
		this.sentinelPassword = sentinelPassword;
		this.tlsPorts = tlsPorts;
		this.first = first;
		this.second = second;
		this.dir = dir;
		this.process = process;
		this.port = port;
		this.client = RedisClient.create();
	}

	/**
	 * Starts a master, a replica that has synchronised with it, and a Sentinel that knows
	 * both. Needs a local redis-server binary (the one {@link RedisServer} uses, else the
	 * Redis 6.2 of embedded-redis): a Sentinel in a container would announce addresses
	 * this host cannot reach.
	 * @return the running group
	 */
	public static RedisSentinel start() {
		return start(null, null);
	}

	/**
	 * Starts a group whose servers require a password ({@code requirepass}, and
	 * {@code masterauth} on both so that either can replicate from the other) and whose
	 * Sentinel requires another one ({@code requirepass} of the Sentinel).
	 * @param password the servers' password, or {@code null}
	 * @param sentinelPassword the Sentinel's password, or {@code null}
	 * @return the running group
	 */
	public static RedisSentinel start(String password, String sentinelPassword) {
		return start(password, sentinelPassword, null);
	}

	/**
	 * Starts a group whose servers and Sentinel also listen on TLS ports (the server
	 * certificate of {@code certificates}, no client certificates), replicate over TLS
	 * and are monitored over TLS ({@code tls-replication yes}): the Sentinel names the
	 * masters' TLS ports, and {@link #uri()} is {@code rediss-sentinel://…} of its TLS
	 * port. The fixture's own connections use the plain ports.
	 * @param certificates the CA and server certificate
	 * @return the running group
	 */
	public static RedisSentinel startTls(TlsCertificates certificates) {
		return start(null, null, certificates);
	}

	private static RedisSentinel start(String password, String sentinelPassword, TlsCertificates tls) {
		Path binary = RedisBinaries.choose().binary().orElseGet(RedisBinaries::embeddedRedis62);
		int[] tlsPorts = (tls != null)
				? new int[] { TlsCertificates.freePort(), TlsCertificates.freePort(), TlsCertificates.freePort() }
				: new int[3];
		RedisServer master = server(binary, password, tls, tlsPorts[0]).start();
		RedisServer replica = null;
		Path dir = null;
		try {
			int masterPort = (tls != null) ? tlsPorts[0] : master.port();
			replica = server(binary, password, tls, tlsPorts[1])
				.args("--replicaof", RedisServer.HOST, Integer.toString(masterPort))
				.start();
			RedisServer started = replica;
			await("the replica's link to the master", () -> started.info("master_link_status").equals("up"));
			dir = Files.createTempDirectory("keyferry-sentinel-");
			int port = freePort();
			Path config = dir.resolve("sentinel.conf");
			List<String> lines = new java.util.ArrayList<>(
					List.of("port " + port, "bind " + RedisServer.HOST, "daemonize no", "dir " + dir,
							"sentinel monitor " + MASTER_NAME + " " + RedisServer.HOST + " " + masterPort + " 1",
							"sentinel down-after-milliseconds " + MASTER_NAME + " 1000",
							"sentinel failover-timeout " + MASTER_NAME + " 5000"));
			if (password != null) {
				lines.add("sentinel auth-pass " + MASTER_NAME + " " + password);
			}
			if (sentinelPassword != null) {
				lines.add("requirepass " + sentinelPassword);
			}
			if (tls != null) {
				lines.addAll(List.of("tls-port " + tlsPorts[2], "tls-cert-file " + tls.serverCert(),
						"tls-key-file " + tls.serverKey(), "tls-ca-cert-file " + tls.caCert(), "tls-auth-clients no",
						"tls-replication yes"));
			}
			Files.writeString(config, String.join("\n", lines) + "\n");
			Process process = new ProcessBuilder(binary.toString(), config.toString(), "--sentinel")
				.directory(dir.toFile())
				.redirectErrorStream(true)
				.redirectOutput(Redirect.appendTo(dir.resolve("sentinel.log").toFile()))
				.start();
			RUNNING.add(process);
			RedisSentinel sentinel = new RedisSentinel(master, replica, dir, process, port, sentinelPassword, tlsPorts);
			try {
				await("the Sentinel to answer PING", () -> {
					String reply = RespProbe.ping(port);
					return reply.equals("+PONG") || reply.startsWith("-NOAUTH");
				});
				await("the Sentinel to know the replica", () -> sentinel.knowsReplica(started));
				return sentinel;
			}
			catch (RuntimeException ex) {
				sentinel.close();
				throw ex;
			}
		}
		catch (IOException ex) {
			close(master, replica, dir, null);
			throw new UncheckedIOException(ex);
		}
		catch (RuntimeException ex) {
			close(master, replica, dir, null);
			throw ex;
		}
	}

	/**
	 * The URI keyferry is given, e.g. {@code redis-sentinel://127.0.0.1:40123#mymaster}.
	 * @return the URI
	 */
	public String uri() {
		if (this.tlsPorts[2] != 0) {
			return "rediss-sentinel://" + RedisServer.HOST + ":" + this.tlsPorts[2] + "#" + MASTER_NAME;
		}
		return "redis-sentinel://" + RedisServer.HOST + ":" + this.port + "#" + MASTER_NAME;
	}

	/**
	 * The URI with the servers' password (not the Sentinel's), percent-encoded.
	 * @param password the password
	 * @return e.g. {@code redis-sentinel://:pw@127.0.0.1:40123#mymaster}
	 */
	public String uri(String password) {
		return "redis-sentinel://:" + java.net.URLEncoder.encode(password, StandardCharsets.UTF_8).replace("+", "%20")
				+ "@" + RedisServer.HOST + ":" + this.port + "#" + MASTER_NAME;
	}

	public int port() {
		return this.port;
	}

	/**
	 * The server the Sentinel names as the master now.
	 * @return the master
	 */
	public RedisServer master() {
		int masterPort = ((InetSocketAddress) sentinel().getMasterAddrByName(MASTER_NAME)).getPort();
		return (masterPort == announcedPort(this.first)) ? this.first : this.second;
	}

	/**
	 * The server that is not the master now.
	 * @return the replica
	 */
	public RedisServer replica() {
		return (master() == this.first) ? this.second : this.first;
	}

	/**
	 * Writes the master made so far reach the replica: waits until the replica
	 * acknowledges the master's replication offset.
	 */
	public void awaitReplicated() {
		RedisServer master = master();
		long replicas = master.sync().waitForReplication(1, TIMEOUT.toMillis());
		if (replicas < 1) {
			throw new IllegalStateException("the replica did not acknowledge the master's writes within " + TIMEOUT);
		}
	}

	/**
	 * Fails the master over to the replica like an operator ({@code SENTINEL FAILOVER}),
	 * after the replica has every write, and waits until the Sentinel names the replica
	 * and it answers as a master. (The Sentinel turns the old master into a replica some
	 * ten seconds later, on its next look at it.)
	 * @return the new master
	 */
	public RedisServer failover() {
		awaitReplicated();
		RedisServer after = replica();
		String oldRunId = after.runId();
		sentinel().failover(MASTER_NAME);
		await("the Sentinel to name the new master", () -> master() == after);
		await("the new master to answer as a master", () -> after.info("role").equals("master"));
		if (!after.runId().equals(oldRunId)) {
			throw new IllegalStateException("the promoted replica is another process");
		}
		return after;
	}

	/**
	 * The end of the Sentinel's log, for failure messages.
	 * @return the log
	 */
	public String log() {
		try {
			Path log = this.dir.resolve("sentinel.log");
			String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no log)";
			return text.substring(Math.max(0, text.length() - 4096));
		}
		catch (IOException ex) {
			return "(log unreadable: " + ex.getMessage() + ")";
		}
	}

	@Override
	public void close() {
		try {
			if (this.connection != null) {
				this.connection.close();
			}
			this.client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
		}
		finally {
			close(this.first, this.second, this.dir, this.process);
		}
	}

	@Override
	public String toString() {
		return "RedisSentinel[" + uri() + ", servers " + this.first.port() + " and " + this.second.port() + "]";
	}

	private boolean knowsReplica(RedisServer replica) {
		List<Map<String, String>> replicas = sentinel().replicas(MASTER_NAME);
		return replicas.stream()
			.anyMatch((r) -> Integer.toString(announcedPort(replica)).equals(r.get("port"))
					&& !r.getOrDefault("flags", "").contains("down") && "ok".equals(r.get("master-link-status")));
	}

	/** The port the Sentinel knows a server by: its TLS port in a TLS group. */
	private int announcedPort(RedisServer server) {
		if (this.tlsPorts[2] == 0) {
			return server.port();
		}
		return (server == this.first) ? this.tlsPorts[0] : this.tlsPorts[1];
	}

	private RedisSentinelCommands<String, String> sentinel() {
		if (this.connection == null || !this.connection.isOpen()) {
			RedisURI.Builder uri = RedisURI.Builder.redis(RedisServer.HOST, this.port)
				.withTimeout(Duration.ofSeconds(10));
			if (this.sentinelPassword != null) {
				uri.withPassword(this.sentinelPassword.toCharArray());
			}
			this.connection = this.client.connectSentinel(uri.build());
		}
		return this.connection.sync();
	}

	private static RedisServer.Builder server(Path binary, String password, TlsCertificates tls, int tlsPort) {
		RedisServer.Builder builder = RedisServer.builder().binary(binary);
		if (tls != null) {
			builder.args("--tls-port", Integer.toString(tlsPort), "--tls-cert-file", tls.serverCert().toString(),
					"--tls-key-file", tls.serverKey().toString(), "--tls-ca-cert-file", tls.caCert().toString(),
					"--tls-auth-clients", "no", "--tls-replication", "yes");
		}
		return (password != null) ? builder.password(password).args("--masterauth", password) : builder;
	}

	private static void await(String what, BooleanSupplier condition) {
		long deadline = System.nanoTime() + TIMEOUT.toNanos();
		RuntimeException last = null;
		while (System.nanoTime() < deadline) {
			try {
				if (condition.getAsBoolean()) {
					return;
				}
			}
			catch (RuntimeException ex) {
				last = ex;
			}
			RedisServer.pause(50);
		}
		throw new IllegalStateException("timed out waiting for " + what, last);
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(RedisServer.HOST))) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static void close(RedisServer first, RedisServer second, Path dir, Process process) {
		try {
			if (process != null && process.isAlive()) {
				process.destroy();
				try {
					if (!process.waitFor(10, TimeUnit.SECONDS)) {
						process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
					}
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					process.destroyForcibly();
				}
			}
		}
		finally {
			if (process != null) {
				RUNNING.remove(process);
			}
			try {
				if (second != null) {
					second.close();
				}
			}
			finally {
				first.close();
				deleteDir(dir);
			}
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
			throw new UncheckedIOException(ex);
		}
	}

}
