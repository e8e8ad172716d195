package io.keyferry.cli;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Plain JDBC access to the default H2 job repository of a keyferry home
 * ({@code HOME/repository/keyferry}), for asserting what a finished run stored. Opens a
 * connection per query; safe to use while no keyferry run is writing.
 */
final class JobRepositoryDatabase {

	private final String url;

	JobRepositoryDatabase(Path home) {
		this.url = "jdbc:h2:file:" + home.resolve("repository").resolve("keyferry") + ";AUTO_SERVER=TRUE;IFEXISTS=TRUE";
	}

	/**
	 * Runs a query.
	 * @param sql the SQL
	 * @param args its parameters
	 * @return the rows, column name (upper case) to value
	 */
	List<Map<String, Object>> query(String sql, Object... args) {
		try (Connection connection = DriverManager.getConnection(this.url, "sa", "");
				PreparedStatement statement = connection.prepareStatement(sql)) {
			for (int i = 0; i < args.length; i++) {
				statement.setObject(i + 1, args[i]);
			}
			try (ResultSet rs = statement.executeQuery()) {
				ResultSetMetaData meta = rs.getMetaData();
				List<Map<String, Object>> rows = new ArrayList<>();
				while (rs.next()) {
					Map<String, Object> row = new LinkedHashMap<>();
					for (int column = 1; column <= meta.getColumnCount(); column++) {
						row.put(meta.getColumnLabel(column).toUpperCase(Locale.ROOT), rs.getObject(column));
					}
					rows.add(row);
				}
				return rows;
			}
		}
		catch (SQLException ex) {
			throw new IllegalStateException("querying " + this.url + " failed: " + ex.getMessage(), ex);
		}
	}

	/**
	 * Runs a statement that returns no rows (DDL, an update).
	 * @param sql the SQL
	 */
	void execute(String sql) {
		try (Connection connection = DriverManager.getConnection(this.url, "sa", "");
				java.sql.Statement statement = connection.createStatement()) {
			statement.execute(sql);
		}
		catch (SQLException ex) {
			throw new IllegalStateException("executing on " + this.url + " failed: " + ex.getMessage(), ex);
		}
	}

	long count(String sql, Object... args) {
		return ((Number) query(sql, args).get(0).values().iterator().next()).longValue();
	}

	/**
	 * The names of the tables keyferry and Spring Batch created.
	 * @return table names
	 */
	List<String> tables() {
		return query("SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'PUBLIC'").stream()
			.map((row) -> (String) row.get("TABLE_NAME"))
			.toList();
	}

}
