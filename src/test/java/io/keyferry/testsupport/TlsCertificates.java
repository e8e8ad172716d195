package io.keyferry.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A test CA and certificates made with the {@code openssl} command (EC P-256 keys, fast):
 * a server certificate for {@code 127.0.0.1}/{@code localhost}, one that names only
 * {@value #NAMED_HOST} (a server reached by an address its certificate does not hold),
 * and a client certificate for mutual TLS; keys are unencrypted PKCS#8 PEM. Starts
 * redis-servers that also listen on a TLS port with them. Immutable once made.
 */
public final class TlsCertificates {

	/** The only name in {@link #namedCert()}. */
	public static final String NAMED_HOST = "redis.keyferry.test";

	private final Path dir;

	private TlsCertificates(Path dir) {
		this.dir = dir;
	}

	/**
	 * Makes the CA and the certificates in a directory.
	 * @param dir an empty directory
	 * @return the certificates
	 */
	public static TlsCertificates create(Path dir) {
		TlsCertificates certificates = new TlsCertificates(dir);
		certificates.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
				"-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=keyferry test CA");
		certificates.signed("server", "/CN=localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost");
		certificates.signed("named", "/CN=" + NAMED_HOST, "subjectAltName=DNS:" + NAMED_HOST);
		certificates.signed("client", "/CN=keyferry client", "extendedKeyUsage=clientAuth");
		certificates.signed("localhost", "/CN=localhost", "subjectAltName=DNS:localhost");
		return certificates;
	}

	private void signed(String name, String subject, String extension) {
		write(name + ".ext", extension + "\n");
		openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", name + ".key",
				"-out", name + ".csr", "-subj", subject);
		openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out",
				name + ".crt", "-days", "2", "-extfile", name + ".ext");
	}

	public Path caCert() {
		return this.dir.resolve("ca.crt");
	}

	public Path serverCert() {
		return this.dir.resolve("server.crt");
	}

	public Path serverKey() {
		return this.dir.resolve("server.key");
	}

	public Path namedCert() {
		return this.dir.resolve("named.crt");
	}

	public Path namedKey() {
		return this.dir.resolve("named.key");
	}

	/**
	 * A server certificate that names {@code localhost} only, not {@code 127.0.0.1}: what
	 * a cluster node's certificate looks like to a client that reaches it at an address
	 * the cluster announces.
	 * @return the PEM certificate
	 */
	public Path localhostCert() {
		return this.dir.resolve("localhost.crt");
	}

	public Path localhostKey() {
		return this.dir.resolve("localhost.key");
	}

	public Path clientCert() {
		return this.dir.resolve("client.crt");
	}

	public Path clientKey() {
		return this.dir.resolve("client.key");
	}

	/**
	 * Starts a redis-server that also listens on a TLS port with the server certificate.
	 * Its plain port (loopback) is the fixture's own, to load and compare data; keyferry
	 * is given only {@link TlsServer#uri()}.
	 * @param authClients whether the server requires a client certificate
	 * ({@code tls-auth-clients yes})
	 * @return the server
	 */
	public TlsServer start(boolean authClients) {
		return start(authClients, serverCert(), serverKey());
	}

	/**
	 * Starts a server whose certificate names only {@value #NAMED_HOST}.
	 * @return the server
	 */
	public TlsServer startNamed() {
		return start(false, namedCert(), namedKey());
	}

	private TlsServer start(boolean authClients, Path cert, Path key) {
		int tlsPort = freePort();
		RedisServer server = RedisServer.builder()
			.args("--tls-port", Integer.toString(tlsPort), "--tls-cert-file", cert.toString(), "--tls-key-file",
					key.toString(), "--tls-ca-cert-file", caCert().toString(), "--tls-auth-clients",
					authClients ? "yes" : "no")
			.start();
		return new TlsServer(server, tlsPort);
	}

	/**
	 * A server with a TLS port.
	 *
	 * @param server the server (its fixture connections use the plain port)
	 * @param tlsPort the TLS port
	 */
	public record TlsServer(RedisServer server, int tlsPort) implements AutoCloseable {

		/**
		 * The URI of the TLS port.
		 * @return {@code rediss://127.0.0.1:PORT}
		 */
		public String uri() {
			return "rediss://" + RedisServer.HOST + ":" + this.tlsPort;
		}

		@Override
		public void close() {
			this.server.close();
		}

	}

	static int freePort() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(RedisServer.HOST))) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private void write(String name, String content) {
		try {
			Files.writeString(this.dir.resolve(name), content, StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private void openssl(String... args) {
		List<String> command = new ArrayList<>();
		command.add("openssl");
		command.addAll(List.of(args));
		try {
			Process process = new ProcessBuilder(command).directory(this.dir.toFile())
				.redirectErrorStream(true)
				.redirectOutput(this.dir.resolve("openssl.log").toFile())
				.start();
			if (!process.waitFor(60, TimeUnit.SECONDS)) {
				process.destroyForcibly();
				throw new IllegalStateException("openssl did not finish: " + command);
			}
			if (process.exitValue() != 0) {
				throw new IllegalStateException("openssl failed: " + command + "\n"
						+ Files.readString(this.dir.resolve("openssl.log"), StandardCharsets.UTF_8));
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException(
					"the TLS tests need the openssl command (scripts/install-redis.sh installs it): " + ex.getMessage(),
					ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("interrupted", ex);
		}
	}

}
