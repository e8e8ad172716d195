package io.keyferry.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.keyferry.testsupport.RedisCluster;
import io.keyferry.testsupport.RedisClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link DumpFetcher}'s one-script batches on the nodes of a Redis Cluster: a batch of a
 * master's keys spans many slots, which a script without declared keys may read on its
 * own node (and on a replica after {@code READONLY}); a batch with a key of a slot being
 * migrated away fails the script, and the fetcher then pipelines command by command,
 * which reports the moved keys as gone from this node.
 */
@ExtendWith(RedisClusterExtension.class)
class DumpScriptClusterIntegrationTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	@Test
	void aMasterAndItsReplicaAnswerTheScriptAndAMigratingSlotFallsBackToPipelining(RedisCluster cluster) {
		for (int i = 0; i < 600; i++) {
			byte[] key = bytes("script:" + i);
			cluster.binarySync().set(key, bytes("value " + i));
			if (i % 2 == 0) {
				cluster.binarySync().pexpire(key, 3_600_000 + i);
			}
		}
		RedisCluster.Node master = cluster.masters().get(0);
		List<byte[]> keys = new ArrayList<>();
		for (int i = 0; i < 600; i++) {
			byte[] key = bytes("script:" + i);
			if (cluster.masterOf(key).equals(master)) {
				keys.add(key);
			}
		}
		assertThat(keys.stream().map(RedisCluster::slotOf).distinct().count()).as("slots of the batch")
			.isGreaterThan(10);
		cluster.awaitReplicated();

		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection fromMaster = connector.connect(Endpoint.parse("source", master.uri()));
				RedisConnector.Connection fromReplica = connector
					.connect(Endpoint.parse("source", cluster.replicasOf(master).get(0).uri()))) {
			List<KeyDump> dumps = fetcher(fromMaster).fetch(keys);
			assertThat(CommandStats.of(master.server(), "eval").calls()).isEqualTo(1);
			assertSame(master, keys, dumps);

			fromReplica.connection().sync().readOnly();
			RedisCluster.Node replica = cluster.replicasOf(master).get(0);
			List<KeyDump> fromCopy = fetcher(fromReplica).fetch(keys);
			assertThat(CommandStats.of(replica.server(), "eval").calls()).isEqualTo(1);
			assertSame(master, keys, fromCopy);

			int slot = RedisCluster.slotOf(keys.get(0));
			RedisCluster.Migration migration = cluster.beginMigration(slot, master, cluster.masters().get(1), 1);
			assertThat(migration.movedKeys()).hasSize(1);
			List<KeyDump> duringMigration = fetcher(fromMaster).fetch(keys);
			assertThat(CommandStats.of(master.server(), "eval").calls()).as("the script was tried").isEqualTo(2);
			byte[] moved = migration.movedKeys().get(0);
			for (int i = 0; i < keys.size(); i++) {
				if (java.util.Arrays.equals(keys.get(i), moved)) {
					assertThat(duringMigration.get(i).exists()).as("the key moved away").isFalse();
				}
				else {
					assertThat(duringMigration.get(i).payload()).isEqualTo(dumps.get(i).payload());
					assertThat(duringMigration.get(i).expireAt()).isEqualTo(dumps.get(i).expireAt());
				}
			}
		}
	}

	private static DumpFetcher fetcher(RedisConnector.Connection connection) {
		return new DumpFetcher(connection.connection(), TIMEOUT, true, 0, 8L << 20, (refusal) -> {
		});
	}

	private static void assertSame(RedisCluster.Node master, List<byte[]> keys, List<KeyDump> dumps) {
		assertThat(dumps).hasSize(keys.size());
		for (int i = 0; i < keys.size(); i++) {
			KeyDump dump = dumps.get(i);
			assertThat(dump.key()).isEqualTo(keys.get(i));
			assertThat(dump.payload()).isEqualTo(master.server().binarySync().dump(keys.get(i)));
			long expireTime = master.server().binarySync().pexpiretime(keys.get(i));
			assertThat(dump.expireAt()).isEqualTo((expireTime == -1) ? KeyDump.PERSISTENT : expireTime);
		}
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

}
