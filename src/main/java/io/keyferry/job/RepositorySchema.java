package io.keyferry.job;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;

import javax.sql.DataSource;

import io.keyferry.KeyferryException;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;

/**
 * Creates the job repository's tables on first use: Spring Batch's schema when its tables
 * are missing, then keyferry's own (idempotent). Runs once at start-up.
 */
public class RepositorySchema implements InitializingBean {

	private final DataSource dataSource;

	public RepositorySchema(DataSource dataSource) {
		this.dataSource = dataSource;
	}

	@Override
	public void afterPropertiesSet() {
		try (Connection connection = this.dataSource.getConnection()) {
			String platform = platform(connection.getMetaData());
			ResourceDatabasePopulator populator = new ResourceDatabasePopulator();
			if (!hasTable(connection.getMetaData(), "BATCH_JOB_INSTANCE")) {
				populator
					.addScript(new ClassPathResource("org/springframework/batch/core/schema-" + platform + ".sql"));
			}
			populator.addScript(new ClassPathResource(
					"io/keyferry/job/schema-" + ("postgresql".equals(platform) ? "postgresql" : "h2") + ".sql"));
			populator.populate(connection);
		}
		catch (SQLException | RuntimeException ex) {
			throw KeyferryException.usage("cannot open the job repository: " + rootMessage(ex),
					"check spring.datasource.url (or KEYFERRY_HOME for the default H2 file) and that the database is reachable",
					ex);
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

	private static String rootMessage(Throwable failure) {
		Throwable t = failure;
		while (t.getCause() != null && t.getCause() != t) {
			t = t.getCause();
		}
		return String.valueOf(t.getMessage()).lines().findFirst().orElse("");
	}

}
