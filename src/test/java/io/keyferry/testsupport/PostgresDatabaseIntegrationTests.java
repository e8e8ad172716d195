package io.keyferry.testsupport;

import java.sql.Connection;
import java.sql.Statement;

import io.keyferry.testsupport.PostgresDatabase.Provider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@link PostgresDatabase} fixture: a fresh, empty database per test class, dropped
 * afterwards, on the first server that works; and its last resort, the embedded
 * PostgreSQL of zonky, which machines without a local server or Docker rely on.
 */
class PostgresDatabaseIntegrationTests {

	@RegisterExtension
	static final PostgresDatabase postgres = new PostgresDatabase();

	@Test
	void givesAFreshEmptyDatabaseWithItsUrlUserAndPassword() throws Exception {
		assertThat(postgres.name()).startsWith("keyferry_test_");
		assertThat(postgres.url()).startsWith("jdbc:postgresql://").endsWith("/" + postgres.name());
		assertThat(postgres.tables()).as("tables of a fresh database on %s", postgres.description()).isEmpty();
		try (Connection connection = postgres.connect(); Statement statement = connection.createStatement()) {
			statement.execute("CREATE TABLE probe (id BIGINT)");
		}
		assertThat(postgres.update("INSERT INTO probe VALUES (?)", 7L)).isOne();
		assertThat(postgres.queryLong("SELECT id FROM probe")).isEqualTo(7);
		assertThat(postgres.queryLong("SELECT COUNT(*) FROM pg_database WHERE datname = current_database()")).isOne();
		assertThat(postgres.query("SELECT current_database() AS name").get(0)).containsEntry("name", postgres.name());
	}

	@Test
	void dropsItsDatabaseWhenClosed() {
		PostgresDatabase other = new PostgresDatabase().create();
		String name = other.name();
		assertThat(name).isNotEqualTo(postgres.name());
		assertThat(postgres.exists(name)).isTrue();

		other.close();

		assertThat(postgres.exists(name)).as("database %s after close", name).isFalse();
		other.close();
	}

	@Test
	void embeddedPostgresWorksWhereNoOtherServerDoes() {
		try (PostgresDatabase embedded = PostgresDatabase.using(Provider.EMBEDDED).create()) {
			assertThat(embedded.provider()).isEqualTo(Provider.EMBEDDED);
			assertThat(embedded.description()).contains("embedded PostgreSQL");
			assertThat(embedded.tables()).isEmpty();
			assertThat(embedded.queryLong("SELECT 6 * 7")).isEqualTo(42);
		}
	}

}
