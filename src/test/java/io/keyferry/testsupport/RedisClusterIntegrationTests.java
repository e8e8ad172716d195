package io.keyferry.testsupport;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.stream.Collectors;

import io.keyferry.testsupport.KeyspaceComparison.Difference;
import io.keyferry.testsupport.KeyspaceComparison.Status;
import io.keyferry.testsupport.RedisCluster.Migration;
import io.keyferry.testsupport.RedisCluster.Node;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Tests for {@link RedisCluster}, {@link Keyspace} of a cluster and
 * {@link TestData#loadInto(RedisCluster)}: real local clusters, each test its own.
 */
@ExtendWith({ RedisClusterExtension.class, RedisServerExtension.class })
class RedisClusterIntegrationTests {

	/**
	 * The same data loaded twice, seconds apart on a loaded machine: the same TTLs from
	 * different moments. A lost or added TTL still differs.
	 */
	private static final Duration LOADED_TWICE = Duration.ofMinutes(1);

	@Test
	void startsThreeMastersWithOneAttachedReplicaEachServingEverySlotAndCloseStopsThemAll() {
		List<Long> pids;
		List<Path> dirs;
		try (RedisCluster cluster = RedisCluster.start()) {
			pids = cluster.nodes().stream().map((node) -> node.server().pid()).toList();
			dirs = cluster.nodes().stream().map((node) -> node.server().dir()).toList();
			assertStartedThreeMastersWithOneReplicaEach(cluster);
		}

		assertThat(pids).hasSize(6).allSatisfy((pid) -> assertThat(ProcessHandle.of(pid)).isEmpty());
		assertThat(dirs).hasSize(6).allSatisfy((dir) -> assertThat(dir).doesNotExist());
	}

	private static void assertStartedThreeMastersWithOneReplicaEach(RedisCluster cluster) {
		List<Node> masters = cluster.masters();

		assertThat(masters).hasSize(3);
		assertThat(cluster.replicas()).hasSize(3);
		assertThat(cluster.nodes()).hasSize(6).allSatisfy((node) -> {
			assertThat(node.isRunning()).isTrue();
			assertThat(node.address()).isEqualTo("127.0.0.1:" + node.port());
			assertThat(node.server().info("cluster_enabled")).isEqualTo("1");
			assertThat(node.server().sync().clusterInfo()).contains("cluster_state:ok", "cluster_known_nodes:6");
			assertThat(node.server().sync().configGet("cluster-node-timeout")).containsEntry("cluster-node-timeout",
					"2000");
			assertThat(node.server().sync().clusterNodes())
				.contains(node.id() + " 127.0.0.1:" + node.port() + "@" + (node.port() + 10000) + " myself,");
		});
		Set<Integer> served = new HashSet<>();
		int total = 0;
		for (Node master : masters) {
			SortedSet<Integer> slots = cluster.slotsOf(master);
			total += slots.size();
			served.addAll(slots);
			assertThat(cluster.isMaster(master)).isTrue();
			assertThat(cluster.masterOf(slots.first())).isSameAs(master);
			assertThat(cluster.replicasOf(master)).singleElement().satisfies((replica) -> {
				assertThat(cluster.isMaster(replica)).isFalse();
				assertThat(replica.server().info("role")).isEqualTo("slave");
				assertThat(replica.server().info("master_port")).isEqualTo(Integer.toString(master.port()));
				assertThat(replica.server().info("master_link_status")).isEqualTo("up");
			});
		}
		assertThat(total).isEqualTo(16384);
		assertThat(served).hasSize(16384);
		assertThat(cluster.seedUri()).isEqualTo("redis://127.0.0.1:" + masters.get(0).port());
		assertThat(cluster.uri(masters.get(1))).isEqualTo("redis://127.0.0.1:" + masters.get(1).port());
		assertThat(cluster.sync().set("k", "v")).isEqualTo("OK");
		assertThat(cluster.masterOf(ascii("k")).server().sync().get("k")).isEqualTo("v");
	}

	@Test
	void loadsTestDataIntoTheMasterOfEachKeysSlotBinaryKeysAndHashTagsIncluded(RedisCluster cluster,
			RedisServer reference) {
		List<byte[]> keys = loadInto(cluster, reference);

		Node[] owners = cluster.slotOwners();
		Map<Node, Long> keysPerMaster = keys.stream()
			.collect(Collectors.groupingBy((key) -> owners[RedisCluster.slotOf(key)], Collectors.counting()));
		assertThat(keysPerMaster).hasSize(3);
		keysPerMaster.forEach(
				(master, count) -> assertThat(master.server().sync().dbsize()).as(master.toString()).isEqualTo(count));
		assertThat(keys.subList(0, 3)).allSatisfy((key) -> assertThat(cluster.binarySync().exists(key)).isOne());
		assertThat(keys.stream().filter((key) -> new String(key, StandardCharsets.US_ASCII).contains("{t7}")))
			.hasSize(50)
			.extracting(RedisCluster::slotOf)
			.containsOnly(RedisCluster.slotOf(ascii("{t7}")));
		KeyspaceComparison.assertSameContent(Keyspace.of(reference), Keyspace.of(cluster), LOADED_TWICE);
		KeyspaceComparison.assertSameContent(Keyspace.of(cluster), Keyspace.of(reference), LOADED_TWICE);
	}

	@Test
	void failoverPromotesTheReplicaWhichThenServesTheSlotsWithTheirKeys(RedisCluster cluster, RedisServer reference) {
		loadInto(cluster, reference);
		Node master = cluster.masters().get(0);
		Node replica = cluster.replicasOf(master).get(0);
		SortedSet<Integer> slots = cluster.slotsOf(master);

		Node promoted = cluster.failover(master);

		assertThat(promoted).isSameAs(replica);
		assertThat(cluster.masters()).hasSize(3).contains(promoted).doesNotContain(master);
		assertThat(cluster.slotsOf(promoted)).isEqualTo(slots);
		assertThat(cluster.slotsOf(master)).isEmpty();
		assertThat(cluster.masterOf(slots.last())).isSameAs(promoted);
		assertThat(cluster.replicasOf(promoted)).containsExactly(master);
		assertThat(master.server().info("role")).isEqualTo("slave");
		KeyspaceComparison.assertSameContent(Keyspace.of(reference), Keyspace.of(cluster), LOADED_TWICE);
	}

	@Test
	void reshardMovesSlotsWithTheirKeys(RedisCluster cluster, RedisServer reference) {
		List<byte[]> keys = loadInto(cluster, reference);
		Node from = cluster.masters().get(0);
		Node to = cluster.masters().get(2);
		SortedSet<Integer> fromBefore = cluster.slotsOf(from);
		SortedSet<Integer> toBefore = cluster.slotsOf(to);

		SortedSet<Integer> moved = cluster.reshard(from, to, 100);

		assertThat(moved).hasSize(100).isSubsetOf(fromBefore);
		assertThat(cluster.slotsOf(from)).hasSize(fromBefore.size() - 100).doesNotContainAnyElementsOf(moved);
		assertThat(cluster.slotsOf(to)).hasSize(toBefore.size() + 100).containsAll(toBefore).containsAll(moved);
		assertThat(cluster.masterOf(moved.first())).isSameAs(to);
		List<byte[]> movedKeys = keys.stream().filter((key) -> moved.contains(RedisCluster.slotOf(key))).toList();
		assertThat(movedKeys).hasSizeGreaterThan(10);
		assertThat(moved.stream().mapToLong((slot) -> to.server().sync().clusterCountKeysInSlot(slot)).sum())
			.isEqualTo(movedKeys.size());
		assertThat(moved.stream().mapToLong((slot) -> from.server().sync().clusterCountKeysInSlot(slot)).sum())
			.isZero();
		assertThatExceptionOfType(RedisCommandExecutionException.class)
			.isThrownBy(() -> from.server().binarySync().type(movedKeys.get(0)))
			.withMessage("MOVED " + RedisCluster.slotOf(movedKeys.get(0)) + " " + to.address());
		KeyspaceComparison.assertSameContent(Keyspace.of(reference), Keyspace.of(cluster), LOADED_TWICE);
	}

	@Test
	void addedMasterTakesSlotsWithTheirKeysAndIsRemovedOnceEmpty(
			@RedisClusterOptions(replicas = 0) RedisCluster cluster, RedisServer reference) {
		TestData data = TestData.keys(3000);
		data.loadInto(cluster);
		data.loadInto(reference);
		Node first = cluster.masters().get(0);
		Node second = cluster.masters().get(1);

		Node added = cluster.addMaster();

		assertThat(cluster.nodes()).hasSize(4).contains(added);
		assertThat(cluster.masters()).hasSize(4).endsWith(added);
		assertThat(cluster.slotsOf(added)).isEmpty();
		SortedSet<Integer> moved = cluster.reshard(first, added, 100);
		assertThat(cluster.slotsOf(added)).isEqualTo(moved);
		assertThat(moved.stream().mapToLong((slot) -> added.server().sync().clusterCountKeysInSlot(slot)).sum())
			.isEqualTo(added.server().sync().dbsize())
			.isPositive();
		KeyspaceComparison.assertSameContent(Keyspace.of(reference), Keyspace.of(cluster), LOADED_TWICE);

		cluster.reshard(added, second, 100);
		long pid = added.server().pid();
		cluster.removeNode(added);

		assertThat(cluster.nodes()).hasSize(3).doesNotContain(added);
		assertThat(cluster.masters()).hasSize(3);
		assertThat(ProcessHandle.of(pid)).isEmpty();
		assertThat(first.server().sync().clusterNodes()).doesNotContain(added.id());
		KeyspaceComparison.assertSameContent(Keyspace.of(reference), Keyspace.of(cluster), LOADED_TWICE);
	}

	@Test
	void slotLeftMigratingAnswersAskForMovedKeysUntilTheMigrationFinishes(
			@RedisClusterOptions(replicas = 0) RedisCluster cluster, RedisServer reference) {
		TestData data = TestData.keys(10).prefix("kf:ask:").hashTags(1).ttlFraction(0.5);
		List<byte[]> keys = data.loadInto(cluster);
		data.loadInto(reference);
		int slot = RedisCluster.slotOf(keys.get(0));
		Node from = cluster.masterOf(slot);
		Node to = cluster.masters().stream().filter((node) -> node != from).findFirst().orElseThrow();

		Migration migration = cluster.beginMigration(slot, from, to);

		assertThat(migration.movedKeys()).hasSize(5);
		assertThat(migration.remainingKeys()).hasSize(5);
		byte[] movedKey = migration.movedKeys().get(0);
		byte[] remainingKey = migration.remainingKeys().get(0);
		RedisCommands<byte[], byte[]> onFrom = from.server().binarySync();
		assertThatExceptionOfType(RedisCommandExecutionException.class).isThrownBy(() -> onFrom.type(movedKey))
			.withMessage("ASK " + slot + " " + to.address());
		assertThat(onFrom.type(remainingKey)).isEqualTo(reference.binarySync().type(remainingKey));
		assertThatExceptionOfType(RedisCommandExecutionException.class)
			.isThrownBy(() -> to.server().binarySync().type(movedKey))
			.withMessage("MOVED " + slot + " " + from.address());
		assertThat(cluster.masterOf(slot)).isSameAs(from);
		assertThat(cluster.binarySync().type(movedKey)).isEqualTo(reference.binarySync().type(movedKey));
		KeyspaceComparison.assertSameContent(Keyspace.of(reference), Keyspace.of(cluster), LOADED_TWICE);

		cluster.finishMigration(migration);

		assertThat(cluster.masterOf(slot)).isSameAs(to);
		assertThat(to.server().sync().clusterCountKeysInSlot(slot)).isEqualTo(10);
		assertThat(from.server().sync().clusterCountKeysInSlot(slot)).isZero();
		assertThatExceptionOfType(RedisCommandExecutionException.class).isThrownBy(() -> onFrom.type(remainingKey))
			.withMessage("MOVED " + slot + " " + to.address());
		KeyspaceComparison.assertSameContent(Keyspace.of(reference), Keyspace.of(cluster), LOADED_TWICE);
	}

	@Test
	void killedMasterIsReplacedByItsReplicaAndRejoinsAsItsReplicaWhenRestarted(RedisCluster cluster,
			RedisServer reference) {
		loadInto(cluster, reference);
		cluster.awaitReplicated();
		Node master = cluster.masters().get(1);
		Node replica = cluster.replicasOf(master).get(0);
		SortedSet<Integer> slots = cluster.slotsOf(master);
		String runId = master.server().runId();

		cluster.kill(master);

		assertThat(master.isRunning()).isFalse();
		assertThat(cluster.masters()).hasSize(3).contains(replica);
		assertThat(cluster.slotsOf(replica)).isEqualTo(slots);
		assertThat(replica.server().sync().clusterInfo()).contains("cluster_state:ok");
		KeyspaceComparison.assertSameContent(Keyspace.of(reference), Keyspace.of(cluster), LOADED_TWICE);

		cluster.restart(master);

		assertThat(master.isRunning()).isTrue();
		assertThat(master.server().runId()).isNotEqualTo(runId);
		assertThat(cluster.replicasOf(replica)).containsExactly(master);
		assertThat(master.server().info("master_link_status")).isEqualTo("up");
		assertThat(master.server().sync().dbsize()).isEqualTo(replica.server().sync().dbsize());
		KeyspaceComparison.assertSameContent(Keyspace.of(reference), Keyspace.of(cluster), LOADED_TWICE);
	}

	@Test
	void restartKeepsTheKeysOfAMasterOnlyWithPersistence(@RedisClusterOptions(replicas = 0) RedisCluster plain,
			@RedisClusterOptions(replicas = 0, persistence = true) RedisCluster persistent) {
		for (RedisCluster cluster : List.of(plain, persistent)) {
			TestData.keys(600).loadInto(cluster);
			Node master = cluster.masters().get(0);
			long keys = master.server().sync().dbsize();
			SortedSet<Integer> slots = cluster.slotsOf(master);
			String runId = master.server().runId();
			assertThat(keys).isPositive();

			cluster.restart(master);

			assertThat(master.server().runId()).isNotEqualTo(runId);
			assertThat(cluster.slotsOf(master)).isEqualTo(slots);
			assertThat(master.server().sync().clusterInfo()).contains("cluster_state:ok");
			assertThat(master.server().sync().dbsize()).isEqualTo((cluster == persistent) ? keys : 0);
		}
	}

	@Test
	void comparisonOfClustersOfDifferentShapesFindsTheSameContentAndEachDifference(RedisCluster source,
			@RedisClusterOptions(masters = 4, replicas = 0) RedisCluster target) {
		TestData data = TestData.keys(3000);
		List<byte[]> keys = data.loadInto(source);
		data.loadInto(target);

		KeyspaceComparison same = KeyspaceComparison.compare(Keyspace.of(source), Keyspace.of(target), LOADED_TWICE);
		assertThat(same.isSame()).as(same.report()).isTrue();
		assertThat(same.sourceKeys()).isEqualTo(3000);
		assertThat(same.targetKeys()).isEqualTo(3000);

		byte[] volatileKey = keys.stream().filter((key) -> source.binarySync().pttl(key) > 0).findFirst().orElseThrow();
		RedisAdvancedClusterCommands<byte[], byte[]> onTarget = target.binarySync();
		onTarget.del(keys.get(0));
		onTarget.set(keys.get(6), ascii("changed"));
		onTarget.persist(volatileKey);
		onTarget.set(ascii("extra"), ascii("x"));

		KeyspaceComparison different = KeyspaceComparison.compare(Keyspace.of(source), Keyspace.of(target),
				LOADED_TWICE);
		assertThat(different.differences()).extracting(Difference::status, Difference::printableKey)
			.containsExactlyInAnyOrder(tuple(Status.MISSING, "kf:string:0:\\x00z"), tuple(Status.VALUE, "kf:string:6"),
					tuple(Status.TTL, KeyspaceComparison.printable(volatileKey)), tuple(Status.EXTRA, "extra"));
	}

	@Test
	void passwordProtectedClusterAuthenticatesItsReplicasClientsAndMigrations(
			@RedisClusterOptions(password = "s3cret") RedisCluster cluster) {
		List<byte[]> keys = TestData.keys(200).prefix("kf:auth:").hashTags(1).loadInto(cluster);
		int slot = RedisCluster.slotOf(keys.get(0));
		Node from = cluster.masterOf(slot);
		Node to = cluster.masters().stream().filter((node) -> node != from).findFirst().orElseThrow();

		cluster.finishMigration(cluster.beginMigration(slot, from, to));

		assertThat(cluster.replicas()).hasSize(3)
			.allSatisfy((replica) -> assertThat(replica.server().info("master_link_status")).isEqualTo("up"));
		assertThat(to.server().sync().clusterCountKeysInSlot(slot)).isEqualTo(200);
		assertThat(cluster.binarySync().exists(keys.get(0))).isOne();
		assertThat(RespProbe.ping(to.port())).startsWith("-NOAUTH");
	}

	@Test
	void failsWithEveryNodesViewWhenTheClusterDoesNotSettle(@RedisClusterOptions(replicas = 0) RedisCluster cluster) {
		try (RedisServer stranger = RedisServer.builder().clusterBusPort().args("--cluster-enabled", "yes").start()) {
			Node master = cluster.masters().get(0);
			master.server().sync().clusterMeet(stranger.host(), stranger.port());
			cluster.settleTimeout(Duration.ofSeconds(2));

			assertThatIllegalStateException().isThrownBy(cluster::awaitSettled)
				.withMessageContaining("the cluster did not settle within 2 s, waiting for a settled cluster: ")
				.withMessageContaining("knows a node this fixture did not start")
				.satisfies((ex) -> assertThat(cluster.nodes())
					.allSatisfy((node) -> assertThat(ex.getMessage()).contains("--- " + node + " ---\n")
						.contains(node.id() + " " + node.address() + "@" + (node.port() + 10000) + " myself,master")));
		}
	}

	/**
	 * 10,000 keys into both: 9,000 spread over the slots (the first three with binary
	 * names) and 1,000 under 20 hash tags ({@code kf:tagged:{t7}:...}).
	 */
	private static List<byte[]> loadInto(RedisCluster cluster, RedisServer reference) {
		List<byte[]> keys = new ArrayList<>();
		for (TestData data : List.of(TestData.keys(9000), TestData.keys(1000).prefix("kf:tagged:").hashTags(20))) {
			keys.addAll(data.loadInto(cluster));
			data.loadInto(reference);
		}
		return keys;
	}

	private static byte[] ascii(String value) {
		return value.getBytes(StandardCharsets.US_ASCII);
	}

}
