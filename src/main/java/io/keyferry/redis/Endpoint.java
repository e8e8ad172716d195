package io.keyferry.redis;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

import io.keyferry.KeyferryException;
import io.lettuce.core.RedisURI;

/**
 * A Redis endpoint parsed from {@code redis://[user[:password]@]host:port[/db]} or
 * {@code rediss://…}. The password is kept only in memory: {@link #redacted()} is the
 * form that may be stored, logged and compared.
 *
 * @param role "source" or "target", used in messages and to find the password variable
 * @param tls whether the scheme is {@code rediss}
 * @param user the ACL user or {@code null}
 * @param password the password or {@code null}
 * @param host the host name or address
 * @param port the port
 * @param database the logical database
 */
public record Endpoint(String role, boolean tls, String user, char[] password, String host, int port, int database) {

	private static final int DEFAULT_PORT = 6379;

	/**
	 * Parses a URI given on the command line or stored in a redacted form.
	 * @param role "source" or "target"
	 * @param uri the URI
	 * @return the endpoint (without a password from the environment)
	 */
	public static Endpoint parse(String role, String uri) {
		if (uri == null || uri.isBlank()) {
			throw KeyferryException.usage("missing " + role + " URI",
					"give --" + role + " redis://[user[:password]@]host:port[/db]");
		}
		URI parsed;
		try {
			parsed = new URI(uri.trim());
		}
		catch (URISyntaxException ex) {
			throw invalid(role, "it is not a URI");
		}
		String scheme = (parsed.getScheme() != null) ? parsed.getScheme().toLowerCase(Locale.ROOT) : null;
		if (!"redis".equals(scheme) && !"rediss".equals(scheme)) {
			throw invalid(role, "the scheme must be redis:// or rediss://");
		}
		String host = parsed.getHost();
		if (host == null || host.isEmpty()) {
			throw invalid(role, "it has no host");
		}
		if (host.startsWith("[") && host.endsWith("]")) {
			host = host.substring(1, host.length() - 1);
		}
		int port = (parsed.getPort() != -1) ? parsed.getPort() : DEFAULT_PORT;
		if (port < 1 || port > 65535) {
			throw invalid(role, "the port must be between 1 and 65535");
		}
		if (parsed.getRawQuery() != null || parsed.getRawFragment() != null) {
			throw invalid(role, "query parameters are not supported");
		}
		int database = parseDatabase(role, parsed.getRawPath());
		String user = null;
		char[] password = null;
		String userInfo = parsed.getRawUserInfo();
		if (userInfo != null && !userInfo.isEmpty()) {
			int colon = userInfo.indexOf(':');
			String rawUser = (colon >= 0) ? userInfo.substring(0, colon) : userInfo;
			user = rawUser.isEmpty() ? null : decode(rawUser);
			if (colon >= 0) {
				password = decode(userInfo.substring(colon + 1)).toCharArray();
			}
		}
		return new Endpoint(role, "rediss".equals(scheme), user, password, host, port, database);
	}

	private static int parseDatabase(String role, String path) {
		if (path == null || path.isEmpty() || "/".equals(path)) {
			return 0;
		}
		String db = path.substring(1);
		try {
			int database = Integer.parseInt(db);
			if (database < 0) {
				throw invalid(role, "the database must be a number >= 0");
			}
			return database;
		}
		catch (NumberFormatException ex) {
			throw invalid(role, "the path must be a database number, e.g. /0");
		}
	}

	private static String decode(String value) {
		return URLDecoder.decode(value.replace("+", "%2B"), StandardCharsets.UTF_8);
	}

	private static KeyferryException invalid(String role, String why) {
		return KeyferryException.usage("invalid " + role + " URI: " + why,
				"use redis://[user[:password]@]host:port[/db] or rediss://… for TLS");
	}

	/**
	 * Returns this endpoint with the password from the environment variable
	 * {@code KEYFERRY_<ROLE>_PASSWORD} when the URI carries none.
	 * @param environment a lookup for environment variables
	 * @return the endpoint with credentials
	 */
	public Endpoint withPasswordFrom(java.util.function.Function<String, String> environment) {
		if (this.password != null) {
			return this;
		}
		String fromEnv = environment.apply(passwordVariable());
		if (fromEnv == null || fromEnv.isEmpty()) {
			return this;
		}
		return new Endpoint(this.role, this.tls, this.user, fromEnv.toCharArray(), this.host, this.port, this.database);
	}

	/**
	 * The environment variable holding this endpoint's password.
	 * @return e.g. {@code KEYFERRY_SOURCE_PASSWORD}
	 */
	public String passwordVariable() {
		return "KEYFERRY_" + this.role.toUpperCase(Locale.ROOT) + "_PASSWORD";
	}

	/**
	 * The URI without the password: safe to store, log and compare.
	 * @return e.g. {@code redis://app@10.0.0.1:6379/0}
	 */
	public String redacted() {
		StringBuilder sb = new StringBuilder(this.tls ? "rediss://" : "redis://");
		if (this.user != null) {
			sb.append(encode(this.user)).append('@');
		}
		sb.append(this.host.contains(":") ? "[" + this.host + "]" : this.host);
		sb.append(':').append(this.port).append('/').append(this.database);
		return sb.toString();
	}

	private static String encode(String value) {
		StringBuilder sb = new StringBuilder();
		for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
			int c = b & 0xff;
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
					|| c == '_' || c == '~') {
				sb.append((char) c);
			}
			else {
				sb.append('%').append(String.format("%02X", c));
			}
		}
		return sb.toString();
	}

	/**
	 * The address of the server, for messages.
	 * @return host:port
	 */
	public String address() {
		return (this.host.contains(":") ? "[" + this.host + "]" : this.host) + ":" + this.port;
	}

	public boolean hasPassword() {
		return this.password != null;
	}

	/**
	 * Builds the Lettuce URI with credentials.
	 * @param timeout the command timeout
	 * @return the URI
	 */
	public RedisURI toRedisUri(Duration timeout) {
		RedisURI.Builder builder = RedisURI.builder()
			.withHost(this.host)
			.withPort(this.port)
			.withDatabase(this.database)
			.withSsl(this.tls)
			.withTimeout(timeout);
		if (this.password != null) {
			if (this.user != null) {
				builder.withAuthentication(this.user, this.password);
			}
			else {
				builder.withPassword(this.password);
			}
		}
		else if (this.user != null) {
			builder.withAuthentication(this.user, new char[0]);
		}
		return builder.build();
	}

	@Override
	public String toString() {
		return redacted();
	}

	@Override
	public boolean equals(Object obj) {
		return (obj instanceof Endpoint other) && other.role.equals(this.role) && other.redacted().equals(redacted());
	}

	@Override
	public int hashCode() {
		return redacted().hashCode();
	}

}
