package io.keyferry.redis;

import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests of {@link ServerInfo}'s reading of {@code INFO keyspace} and the short form of
 * key counts by database that a run's summary keeps.
 */
class ServerInfoTests {

	private static final String KEYSPACE = "# Keyspace\r\ndb0:keys=2000,expires=300,avg_ttl=0\r\n"
			+ "db3:keys=120,expires=0,avg_ttl=0\r\ndb15:keys=1,expires=1,avg_ttl=2000\r\n";

	@Test
	void keyspaceListsEveryDatabaseWithKeysInOrder() {
		assertThat(ServerInfo.keyspace("# Server\r\nrun_id:abc\r\n" + KEYSPACE))
			.containsExactlyEntriesOf(new TreeMap<>(Map.of(0, 2000L, 3, 120L, 15, 1L)));
		assertThat(ServerInfo.keyspace("# Keyspace\r\n")).isEmpty();
	}

	@Test
	void keyCountsSurviveTheirShortForm() {
		TreeMap<Integer, Long> databases = new TreeMap<>(Map.of(3, 120L, 15, 1L));

		String text = ServerInfo.formatKeyspace(databases);

		assertThat(text).isEqualTo("3=120,15=1");
		assertThat(ServerInfo.parseKeyspace(text)).isEqualTo(databases);
		assertThat(ServerInfo.parseKeyspace("")).isEmpty();
		assertThat(ServerInfo.describeKeyspace(new TreeMap<>(Map.of(3, 1200L, 15, 1L))))
			.isEqualTo("db3 (1,200 keys), db15 (1 key)");
	}

}
