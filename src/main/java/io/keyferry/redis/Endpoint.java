package io.keyferry.redis;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.keyferry.KeyferryException;
import io.lettuce.core.RedisURI;

/**
 * A Redis endpoint parsed from {@code redis://[user[:password]@]host:port[/db]} or
 * {@code rediss://…}. A Redis Cluster may be given by several seeds,
 * {@code redis://h1:p1,h2:p2}: {@link #host()} and {@link #port()} are the first, the
 * others are in {@link #moreSeeds()}, and a connection goes to the first that answers
 * ({@link RedisConnector#connect}). A master watched by Redis Sentinel is given as
 * {@code redis-sentinel://[user[:password]@]s1:p1[,s2:p2][/db]#master}: host, port and
 * further seeds are then the Sentinels, {@link #sentinel()} holds the master's name, and
 * each connection (and each reconnection) asks the Sentinels for the current master. The
 * URI's credentials are the data nodes'; the Sentinels are asked without credentials
 * unless {@code KEYFERRY_<ROLE>_SENTINEL_PASSWORD} is set. Passwords are kept only in
 * memory: {@link #redacted()} is the form that may be stored, logged and compared.
 *
 * @param role "source" or "target", used in messages and to find the password variable
 * @param tls whether the scheme is {@code rediss}
 * @param user the ACL user or {@code null}
 * @param password the password or {@code null}
 * @param host the host name or address
 * @param port the port
 * @param database the logical database
 * @param moreSeeds the seeds after the first, for a Redis Cluster; empty for one server
 * @param tlsSettings how TLS connections are made (CA, client certificate, verification);
 * file paths only
 * @param sentinel the master's name and the Sentinels' password when the host and seeds
 * are Sentinels; {@code null} for a Redis server or cluster
 */
public record Endpoint(String role, boolean tls, String user, char[] password, String host, int port, int database,
		List<Seed> moreSeeds, TlsSettings tlsSettings, Sentinel sentinel) {

	private static final int DEFAULT_PORT = 6379;

	private static final int DEFAULT_SENTINEL_PORT = 26379;

	public Endpoint {
		moreSeeds = (moreSeeds != null) ? List.copyOf(moreSeeds) : List.of();
		tlsSettings = (tlsSettings != null) ? tlsSettings : TlsSettings.DEFAULT;
	}

	/**
	 * An endpoint that is not a Sentinel's.
	 * @param role "source" or "target"
	 * @param tls whether to use TLS
	 * @param user the ACL user or {@code null}
	 * @param password the password or {@code null}
	 * @param host the host
	 * @param port the port
	 * @param database the logical database
	 * @param moreSeeds the seeds after the first
	 * @param tlsSettings the TLS settings
	 */
	public Endpoint(String role, boolean tls, String user, char[] password, String host, int port, int database,
			List<Seed> moreSeeds, TlsSettings tlsSettings) {
		this(role, tls, user, password, host, port, database, moreSeeds, tlsSettings, null);
	}

	/**
	 * The master a Sentinel URI names, and how the Sentinels are authenticated.
	 *
	 * @param master the name the Sentinels monitor the master under (after {@code #})
	 * @param password the Sentinels' password ({@code requirepass} of the Sentinels), or
	 * {@code null} to ask them without credentials
	 */
	public record Sentinel(String master, char[] password) {

		Sentinel withPassword(char[] password) {
			return new Sentinel(this.master, password);
		}

		@Override
		public String toString() {
			return "Sentinel[" + this.master + "]";
		}

	}

	/**
	 * An endpoint with the default TLS settings.
	 * @param role "source" or "target"
	 * @param tls whether to use TLS
	 * @param user the ACL user or {@code null}
	 * @param password the password or {@code null}
	 * @param host the host
	 * @param port the port
	 * @param database the logical database
	 * @param moreSeeds the seeds after the first
	 */
	public Endpoint(String role, boolean tls, String user, char[] password, String host, int port, int database,
			List<Seed> moreSeeds) {
		this(role, tls, user, password, host, port, database, moreSeeds, TlsSettings.DEFAULT);
	}

	/**
	 * An endpoint with one seed.
	 * @param role "source" or "target"
	 * @param tls whether to use TLS
	 * @param user the ACL user or {@code null}
	 * @param password the password or {@code null}
	 * @param host the host
	 * @param port the port
	 * @param database the logical database
	 */
	public Endpoint(String role, boolean tls, String user, char[] password, String host, int port, int database) {
		this(role, tls, user, password, host, port, database, List.of());
	}

	/**
	 * One {@code host:port} of a URI with several seeds.
	 *
	 * @param host the host name or address
	 * @param port the port
	 */
	public record Seed(String host, int port) {

		/**
		 * The seed as a URI writes it.
		 * @return host:port, an IPv6 address in brackets
		 */
		public String address() {
			return (this.host.contains(":") ? "[" + this.host + "]" : this.host) + ":" + this.port;
		}

	}

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
		String text = uri.trim();
		int separator = text.indexOf("://");
		String scheme = (separator > 0) ? text.substring(0, separator).toLowerCase(Locale.ROOT) : null;
		if (!"redis".equals(scheme) && !"rediss".equals(scheme) && !"redis-sentinel".equals(scheme)
				&& !"rediss-sentinel".equals(scheme)) {
			throw invalid(role, "the scheme must be redis://, rediss://, redis-sentinel:// or rediss-sentinel://");
		}
		boolean sentinel = scheme.endsWith("-sentinel");
		String rest = text.substring(separator + 3);
		// the host never holds an '@': everything before the last one is the user info,
		// so a password with an unencoded '/', '#' or '?' is recognised as such
		int at = rest.lastIndexOf('@');
		String userInfo = (at >= 0) ? rest.substring(0, at) : null;
		String hostPart = rest.substring(at + 1);
		String user = null;
		char[] password = null;
		if (userInfo != null) {
			int colon = userInfo.indexOf(':');
			String rawUser = (colon >= 0) ? userInfo.substring(0, colon) : userInfo;
			String rawPassword = (colon >= 0) ? userInfo.substring(colon + 1) : null;
			checkEncoded(role, "user name", rawUser);
			if (rawPassword != null) {
				checkEncoded(role, "password", rawPassword);
			}
			user = rawUser.isEmpty() ? null : decode(rawUser);
			password = (rawPassword != null) ? decode(rawPassword).toCharArray() : null;
		}
		int end = indexOfAny(hostPart, "/?#");
		String authority = hostPart.substring(0, end);
		String tail = hostPart.substring(end);
		if (tail.indexOf('?') >= 0) {
			throw invalid(role, "query parameters (?...) are not supported");
		}
		int hash = tail.indexOf('#');
		if (hash >= 0 && !sentinel) {
			throw invalid(role, "a fragment (#...) is not supported");
		}
		String master = null;
		if (sentinel) {
			master = (hash >= 0) ? tail.substring(hash + 1) : "";
			tail = (hash >= 0) ? tail.substring(0, hash) : tail;
			checkMasterName(role, master);
		}
		if (authority.isEmpty()) {
			throw invalid(role, "it has no host");
		}
		List<Seed> seeds = new ArrayList<>();
		for (String seed : authority.split(",", -1)) {
			seeds.add(parseSeed(role, seed, sentinel ? DEFAULT_SENTINEL_PORT : DEFAULT_PORT));
		}
		int database = parseDatabase(role, tail);
		Seed first = seeds.get(0);
		return new Endpoint(role, scheme.startsWith("rediss"), user, password, first.host(), first.port(), database,
				List.copyOf(seeds.subList(1, seeds.size())), TlsSettings.DEFAULT,
				sentinel ? new Sentinel(master, null) : null);
	}

	/**
	 * Accepts a master name as Sentinel configurations write them: letters, digits,
	 * {@code -}, {@code _} and {@code .}.
	 */
	private static void checkMasterName(String role, String master) {
		if (master.isEmpty()) {
			throw KeyferryException.usage("invalid " + role + " URI: a Sentinel URI names no master",
					"end it with #<master name> as the Sentinels know it, e.g. redis-sentinel://host:26379#mymaster "
							+ "(SENTINEL MASTERS on a Sentinel lists the names)");
		}
		if (!master.chars().allMatch(Endpoint::isHostCharacter)) {
			throw KeyferryException.usage(
					"invalid " + role + " URI: the master name after # holds a character " + "keyferry does not accept",
					"use the master's name as the Sentinels know it (letters, digits, '-', '_' and '.')");
		}
	}

	/**
	 * Parses one {@code host[:port]} of the authority; an IPv6 address in brackets.
	 */
	private static Seed parseSeed(String role, String authority, int defaultPort) {
		String host;
		String portText;
		if (authority.startsWith("[")) {
			int close = authority.indexOf(']');
			if (close < 0) {
				throw invalid(role, "the IPv6 address has no closing ']'");
			}
			host = authority.substring(1, close);
			String afterHost = authority.substring(close + 1);
			if (!afterHost.isEmpty() && !afterHost.startsWith(":")) {
				throw invalid(role, "the IPv6 address must be followed by :port");
			}
			portText = afterHost.isEmpty() ? null : afterHost.substring(1);
			if (host.isEmpty() || !host.chars().allMatch((c) -> c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
				throw invalid(role, "the host [" + host + "] is not a valid IPv6 address");
			}
		}
		else {
			int colon = authority.lastIndexOf(':');
			host = (colon >= 0) ? authority.substring(0, colon) : authority;
			portText = (colon >= 0) ? authority.substring(colon + 1) : null;
			if (!host.isEmpty() && !host.chars().allMatch(Endpoint::isHostCharacter)) {
				throw invalid(role, "the host '" + host
						+ "' is not a valid host name (letters, digits, '-', '_' and '.'; an IPv6 address in [...])");
			}
		}
		if (host.isEmpty()) {
			throw invalid(role,
					authority.isEmpty() ? "a seed in the host list (h1:p1,h2:p2) is empty" : "it has no host");
		}
		int port = defaultPort;
		if (portText != null) {
			if (portText.isEmpty() || !portText.chars().allMatch((c) -> c >= '0' && c <= '9') || portText.length() > 5
					|| Integer.parseInt(portText) < 1 || Integer.parseInt(portText) > 65535) {
				throw invalid(role, "the port must be a number between 1 and 65535");
			}
			port = Integer.parseInt(portText);
		}
		return new Seed(host, port);
	}

	private static boolean isHostCharacter(int c) {
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
				|| c == '_';
	}

	private static int indexOfAny(String text, String characters) {
		for (int i = 0; i < text.length(); i++) {
			if (characters.indexOf(text.charAt(i)) >= 0) {
				return i;
			}
		}
		return text.length();
	}

	/**
	 * Refuses a user name or password that is not percent-encoded where a URI requires it
	 * (RFC 3986 user info: unreserved, sub-delimiters and {@code %XX}), naming neither
	 * the value nor the character.
	 */
	private static void checkEncoded(String role, String what, String raw) {
		for (int i = 0; i < raw.length(); i++) {
			char c = raw.charAt(i);
			boolean ok;
			if (c == '%') {
				ok = i + 2 < raw.length() && Character.digit(raw.charAt(i + 1), 16) >= 0
						&& Character.digit(raw.charAt(i + 2), 16) >= 0;
			}
			else {
				ok = (c > 127 && !Character.isWhitespace(c) && !Character.isISOControl(c)) || isHostCharacter(c)
						|| c == '~' || "!$&'()*+,;=".indexOf(c) >= 0 || (c == ':' && "password".equals(what));
			}
			if (!ok) {
				throw KeyferryException.usage(
						"invalid " + role + " URI: the " + what
								+ " holds a character that must be percent-encoded in a URI",
						"percent-encode it: '/' as %2F, '#' as %23, '?' as %3F, '@' as %40, ':' in a user name as %3A, '%' as %25, a space as %20 (any other: '%' and its UTF-8 bytes in hex); or leave the password out of the URI and set "
								+ passwordVariable(role));
			}
		}
	}

	private static int parseDatabase(String role, String path) {
		if (path.isEmpty() || "/".equals(path)) {
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
				"use redis://[user[:password]@]host:port[/db] (a cluster: host1:port1,host2:port2), rediss://… for TLS, "
						+ "or redis-sentinel://[user[:password]@]host:port[,host:port][/db]#master");
	}

	/**
	 * Returns this endpoint with the password from the environment variable
	 * {@code KEYFERRY_<ROLE>_PASSWORD} when the URI carries none.
	 * @param environment a lookup for environment variables
	 * @return the endpoint with credentials
	 */
	public Endpoint withPasswordFrom(java.util.function.Function<String, String> environment) {
		Endpoint endpoint = this;
		if (this.sentinel != null && this.sentinel.password() == null) {
			String sentinelPassword = environment.apply(sentinelPasswordVariable());
			if (sentinelPassword != null && !sentinelPassword.isEmpty()) {
				endpoint = new Endpoint(this.role, this.tls, this.user, this.password, this.host, this.port,
						this.database, this.moreSeeds, this.tlsSettings,
						this.sentinel.withPassword(sentinelPassword.toCharArray()));
			}
		}
		if (this.password != null) {
			return endpoint;
		}
		String fromEnv = environment.apply(passwordVariable());
		if (fromEnv == null || fromEnv.isEmpty()) {
			return endpoint;
		}
		return new Endpoint(this.role, this.tls, this.user, fromEnv.toCharArray(), this.host, this.port, this.database,
				this.moreSeeds, this.tlsSettings, endpoint.sentinel);
	}

	/**
	 * The environment variable holding the password of this endpoint's Sentinels.
	 * @return e.g. {@code KEYFERRY_SOURCE_SENTINEL_PASSWORD}
	 */
	public String sentinelPasswordVariable() {
		return "KEYFERRY_" + this.role.toUpperCase(Locale.ROOT) + "_SENTINEL_PASSWORD";
	}

	/**
	 * Whether the host and seeds are Sentinels that name the server.
	 * @return whether this is a {@code redis-sentinel://} endpoint
	 */
	public boolean isSentinel() {
		return this.sentinel != null;
	}

	/**
	 * Returns this endpoint with other TLS settings.
	 * @param settings the settings (checked by the caller)
	 * @return the endpoint
	 */
	public Endpoint withTls(TlsSettings settings) {
		return new Endpoint(this.role, this.tls, this.user, this.password, this.host, this.port, this.database,
				this.moreSeeds, settings, this.sentinel);
	}

	/**
	 * Returns this endpoint with another logical database (a partition of an
	 * {@code --all-databases} run selects its own, on both sides).
	 * @param newDatabase the database
	 * @return the endpoint, the same credentials and TLS settings
	 */
	public Endpoint withDatabase(int newDatabase) {
		return new Endpoint(this.role, this.tls, this.user, this.password, this.host, this.port, newDatabase,
				this.moreSeeds, this.tlsSettings, this.sentinel);
	}

	/**
	 * Whether a URI names a database in its path ({@code /0}, {@code /3}); an empty path
	 * or a lone {@code /} does not. Reads only the text: {@link #parse} checks the rest.
	 * @param uri the URI as given
	 * @return true when a database number follows the host
	 */
	public static boolean namesDatabase(String uri) {
		if (uri == null) {
			return false;
		}
		String text = uri.trim();
		int separator = text.indexOf("://");
		String rest = (separator >= 0) ? text.substring(separator + 3) : text;
		String hostPart = rest.substring(rest.lastIndexOf('@') + 1);
		int slash = hostPart.indexOf('/');
		return slash >= 0 && slash < hostPart.length() - 1;
	}

	/**
	 * The endpoint of a node found through this one (a cluster node or a replica), at the
	 * address it announces: the same credentials and TLS settings, database 0, and a TLS
	 * check of the certificate chain without its host name (announced addresses are
	 * typically IP addresses that certificates do not name).
	 * @param nodeHost the node's host
	 * @param nodePort the node's port
	 * @return the node's endpoint
	 */
	public Endpoint atAnnouncedAddress(String nodeHost, int nodePort) {
		return new Endpoint(this.role, this.tls, this.user, this.password, nodeHost, nodePort, 0, List.of(),
				this.tlsSettings.atAnnouncedAddress());
	}

	/**
	 * The environment variable holding this endpoint's password.
	 * @return e.g. {@code KEYFERRY_SOURCE_PASSWORD}
	 */
	public String passwordVariable() {
		return passwordVariable(this.role);
	}

	private static String passwordVariable(String role) {
		return "KEYFERRY_" + role.toUpperCase(Locale.ROOT) + "_PASSWORD";
	}

	/**
	 * The URI without the password: safe to store, log and compare.
	 * @return e.g. {@code redis://app@10.0.0.1:6379/0}
	 */
	public String redacted() {
		StringBuilder sb = new StringBuilder(this.tls ? "rediss" : "redis");
		sb.append((this.sentinel != null) ? "-sentinel://" : "://");
		if (this.user != null) {
			sb.append(encode(this.user)).append('@');
		}
		sb.append(address());
		for (Seed seed : this.moreSeeds) {
			sb.append(',').append(seed.address());
		}
		sb.append('/').append(this.database);
		if (this.sentinel != null) {
			sb.append('#').append(this.sentinel.master());
		}
		return sb.toString();
	}

	/**
	 * Every seed as an endpoint of its own, with this endpoint's credentials, in the
	 * order given.
	 * @return this endpoint alone when it has one seed or is a Sentinel's
	 */
	public List<Endpoint> seeds() {
		if (this.moreSeeds.isEmpty() || this.sentinel != null) {
			return List.of(this);
		}
		List<Endpoint> seeds = new ArrayList<>();
		seeds.add(new Endpoint(this.role, this.tls, this.user, this.password, this.host, this.port, this.database,
				List.of(), this.tlsSettings));
		for (Seed seed : this.moreSeeds) {
			seeds.add(new Endpoint(this.role, this.tls, this.user, this.password, seed.host(), seed.port(),
					this.database, List.of(), this.tlsSettings));
		}
		return seeds;
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
	 * The address of the server (the first seed), for messages.
	 * @return host:port
	 */
	public String address() {
		return new Seed(this.host, this.port).address();
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
		RedisURI.Builder builder;
		if (this.sentinel != null) {
			// Lettuce asks the Sentinels for the master's address on every connect and
			// reconnect; the URI's credentials go to the master only
			CharSequence sentinelPassword = (this.sentinel.password() != null)
					? java.nio.CharBuffer.wrap(this.sentinel.password()) : null;
			builder = RedisURI.Builder.sentinel(this.host, this.port, this.sentinel.master(), sentinelPassword);
			for (Seed seed : this.moreSeeds) {
				builder.withSentinel(seed.host(), seed.port(), sentinelPassword);
			}
		}
		else {
			builder = RedisURI.builder().withHost(this.host).withPort(this.port);
		}
		builder.withDatabase(this.database).withSsl(this.tls).withTimeout(timeout);
		if (this.tls) {
			builder.withVerifyPeer(this.tlsSettings.verifyMode());
		}
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
