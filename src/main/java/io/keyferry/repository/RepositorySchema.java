package io.keyferry.repository;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import io.keyferry.KeyferryException;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;

/**
 * Creates the job repository's tables on first use: Spring Batch's schema when its tables
 * are missing, then keyferry's own, and adds to keyferry's tables of a repository made by
 * an earlier version the columns they lack ({@link #DIFFERENCE_DATABASE}). Safe when
 * several processes start at once on an empty repository: the statements are idempotent,
 * run in one transaction (serialized by an advisory lock on PostgreSQL), and a failed
 * attempt is tried again. Runs once at start-up.
 */
public class RepositorySchema implements InitializingBean {

	public static final String SKIPPED_KEY_TABLE = "KEYFERRY_SKIPPED_KEY";

	/** The keys that differ in each verify run. */
	public static final String DIFFERENCE_TABLE = "KEYFERRY_VERIFY_DIFFERENCE";

	/**
	 * The column of {@link #DIFFERENCE_TABLE} holding the database a key differs in
	 * ({@code verify --all-databases}); {@code NULL} for a run of the databases its URIs
	 * name, and in rows of the versions before the column.
	 */
	public static final String DIFFERENCE_DATABASE = "REDIS_DB";

	public static final String OWNER_TABLE = "KEYFERRY_RUN_OWNER";

	/** The lease of each copy (copy key) that a process is starting or running. */
	public static final String LEASE_TABLE = "KEYFERRY_RUN_LEASE";

	private static final int ATTEMPTS = 5;

	/** The PostgreSQL advisory lock taken while the schema is created. */
	private static final long SCHEMA_LOCK = 0x6b65_7966_6572_7279L;

	private static final Pattern CREATE = Pattern
		.compile("(?i)\\bCREATE\\s+(TABLE|SEQUENCE)\\s+(?!IF\\s+NOT\\s+EXISTS)");

	private final DataSource dataSource;

	public RepositorySchema(DataSource dataSource) {
		this.dataSource = dataSource;
	}

	@Override
	public void afterPropertiesSet() {
		for (int attempt = 1;; attempt++) {
			try (Connection connection = this.dataSource.getConnection()) {
				create(connection);
				return;
			}
			catch (SQLException | RuntimeException ex) {
				// another process creating the schema at the same instant: its statements
				// and ours are idempotent, so trying again settles it
				if (attempt >= ATTEMPTS) {
					throw KeyferryException.usage("cannot open the job repository: " + rootMessage(ex),
							"check spring.datasource.url (or KEYFERRY_HOME for the default H2 file) and that the database is reachable",
							ex);
				}
				pause(attempt);
			}
		}
	}

	/**
	 * Creates what is missing, in one transaction. On PostgreSQL (transactional DDL) an
	 * advisory lock makes processes that start at once create the schema one after the
	 * other; elsewhere every statement is made idempotent ({@code IF NOT EXISTS}).
	 */
	private void create(Connection connection) throws SQLException {
		String platform = platform(connection.getMetaData());
		boolean postgres = "postgresql".equals(platform);
		boolean autoCommit = connection.getAutoCommit();
		connection.setAutoCommit(false);
		try {
			if (postgres) {
				try (Statement statement = connection.createStatement()) {
					statement.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
				}
			}
			ResourceDatabasePopulator populator = new ResourceDatabasePopulator();
			if (!hasTable(connection.getMetaData(), "BATCH_JOB_INSTANCE")
					|| !hasTable(connection.getMetaData(), "BATCH_JOB_EXECUTION_CONTEXT")) {
				populator.addScript(idempotent(
						new ClassPathResource("org/springframework/batch/core/schema-" + platform + ".sql")));
			}
			populator.addScript(
					new ClassPathResource("io/keyferry/job/schema-" + (postgres ? "postgresql" : "h2") + ".sql"));
			populator.populate(connection);
			upgrade(connection);
			connection.commit();
		}
		catch (SQLException | RuntimeException ex) {
			connection.rollback();
			throw ex;
		}
		finally {
			connection.setAutoCommit(autoCommit);
		}
	}

	/**
	 * Adds the columns that keyferry's tables of an earlier version lack. Looked up
	 * first, so that a repository already up to date takes no table lock (PostgreSQL
	 * locks a table for any {@code ALTER TABLE}, even one that changes nothing);
	 * {@code IF NOT
	 * EXISTS} for two processes upgrading at once.
	 */
	private static void upgrade(Connection connection) throws SQLException {
		if (!hasColumn(connection, DIFFERENCE_TABLE, DIFFERENCE_DATABASE)) {
			try (Statement statement = connection.createStatement()) {
				statement.execute("ALTER TABLE " + DIFFERENCE_TABLE + " ADD COLUMN IF NOT EXISTS " + DIFFERENCE_DATABASE
						+ " INT");
			}
		}
	}

	/**
	 * Spring Batch's schema script with {@code IF NOT EXISTS} on each table and sequence
	 * (supported by H2, PostgreSQL, MySQL 8 and MariaDB).
	 */
	static Resource idempotent(Resource script) {
		try {
			String sql = script.getContentAsString(StandardCharsets.UTF_8);
			sql = CREATE.matcher(sql).replaceAll("CREATE $1 IF NOT EXISTS ");
			return new ByteArrayResource(sql.getBytes(StandardCharsets.UTF_8), script.getDescription());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static void pause(int attempt) {
		try {
			Thread.sleep(ThreadLocalRandom.current().nextLong(50, 150) * attempt);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	static String platform(DatabaseMetaData metaData) throws SQLException {
		String product = metaData.getDatabaseProductName().toLowerCase(Locale.ROOT);
		if (product.contains("postgres")) {
			return "postgresql";
		}
		if (product.contains("h2")) {
			return "h2";
		}
		if (product.contains("mariadb")) {
			return "mariadb";
		}
		if (product.contains("mysql")) {
			return "mysql";
		}
		return product.replace(" ", "");
	}

	private static boolean hasTable(DatabaseMetaData metaData, String table) throws SQLException {
		for (String name : new String[] { table, table.toLowerCase(Locale.ROOT) }) {
			try (ResultSet rs = metaData.getTables(null, null, name, null)) {
				if (rs.next()) {
					return true;
				}
			}
		}
		return false;
	}

	/**
	 * Whether the table that unqualified statements reach (the connection's schema) has
	 * the column.
	 */
	private static boolean hasColumn(Connection connection, String table, String column) throws SQLException {
		DatabaseMetaData metaData = connection.getMetaData();
		String schema = connection.getSchema();
		// unquoted names: upper case in H2, lower case in PostgreSQL
		for (boolean upper : new boolean[] { true, false }) {
			String t = upper ? table : table.toLowerCase(Locale.ROOT);
			String c = upper ? column : column.toLowerCase(Locale.ROOT);
			try (ResultSet rs = metaData.getColumns(null, schema, t, c)) {
				if (rs.next()) {
					return true;
				}
			}
		}
		return false;
	}

	private static String rootMessage(Throwable failure) {
		Throwable t = failure;
		while (t.getCause() != null && t.getCause() != t) {
			t = t.getCause();
		}
		return String.valueOf(t.getMessage()).lines().findFirst().orElse("");
	}

}
