package io.keyferry;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyferryProcesses;
import io.keyferry.testsupport.Keyspace;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisCluster;
import io.keyferry.testsupport.RedisClusterExtension;
import io.keyferry.testsupport.RedisClusterOptions;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RepositoryProbe;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar copying from a real local Redis Cluster (3 masters, 1 replica each)
 * with {@code --read-from replica}: the replicas do the SCAN and DUMP work (their
 * {@code INFO commandstats} count it, the masters' do not), a replica restarted between
 * executions has its partition scanned again, a master without a live replica is read
 * itself with one warning, and URIs whose first seed is dead (a source cluster, a target
 * cluster) are read through the next seed. Every test ends with a full comparison of the
 * cluster with the target.
 */
@ExtendWith({ RedisClusterExtension.class, RedisServerExtension.class })
class ClusterReplicaJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(180);

	private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(60);

	private static final int KEYS = 6_000;

	@TempDir
	Path home;

	private RepositoryProbe repository;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@BeforeEach
	void createProbe() {
		this.repository = new RepositoryProbe(this.home);
	}

	@Test
	void readFromReplicaScansAndDumpsOnTheReplicasOnly(RedisCluster source, RedisServer target) {
		TestData.keys(KEYS).hashTags(20).loadInto(source);
		source.awaitReplicated();
		source.nodes().forEach((node) -> node.server().sync().configResetstat());

		KeyferryProcess copy = start(copy(source.seedUri(), target, 0, "--read-from", "replica"));
		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.written()).isEqualTo(KEYS);

		long replicaDumps = 0;
		for (RedisCluster.Node replica : source.replicas()) {
			assertThat(calls(replica, "scan")).as("SCANs on replica %s", replica).isGreaterThan(1);
			replicaDumps += calls(replica, "dump");
			assertThat(calls(replica, "readonly")).as("READONLY on replica %s", replica).isPositive();
		}
		assertThat(replicaDumps).as("DUMPs on the replicas").isGreaterThanOrEqualTo(KEYS);
		for (RedisCluster.Node master : source.masters()) {
			// the pre-flight probes SCAN and DUMP once on the seed, a random key
			assertThat(calls(master, "scan")).as("SCANs on master %s", master).isLessThanOrEqualTo(1);
			assertThat(calls(master, "dump")).as("DUMPs on master %s", master).isLessThanOrEqualTo(1);
		}
		KeyferryProcess show = start("show", Long.toString(summary.executionId()));
		assertThat(show.waitFor(RUN_TIMEOUT)).as(show::describe).isEqualTo(0);
		for (RedisCluster.Node replica : source.replicas()) {
			assertThat(show.stdout()).as("show names the replica each partition read")
				.contains("source node " + replica.address() + " (replica)");
		}
		assertThat(copy.stderr()).doesNotContain("has no replica whose link to it is up");
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void replicaRestartedBetweenExecutionsIsScannedAgainAndTheOthersResume(RedisCluster source, RedisServer target) {
		TestData.keys(KEYS).loadInto(source);
		source.awaitReplicated();

		KeyferryProcess killed = start(copy(source.seedUri(), target, 1000, "--read-from", "replica"));
		this.repository.awaitCommittedChunks(killed, 20, PROGRESS_TIMEOUT);
		killed.kill();
		killed.waitFor(RUN_TIMEOUT);
		RedisCluster.Node replica = source.replicasOf(source.masters().get(1)).get(0);
		source.restart(replica);
		source.awaitReplicated();

		KeyferryProcess resumed = start(copy(source.seedUri(), target, 0, "--read-from", "replica"));
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(0);
		assertThat(resumed.stderr()).contains("resuming run",
				"source node " + replica.address() + " is not the process the checkpoint was made with");
		CopySummary summary = resumed.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.rescans()).as("only the restarted replica's partition is scanned again").isEqualTo(1);
		assertThat(summary.read()).as("keys read by the resumed execution").isLessThan(KEYS);
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void aMasterWithoutALiveReplicaIsReadItselfWithOneWarning(RedisCluster source, RedisServer target) {
		TestData.keys(2_000).loadInto(source);
		RedisCluster.Node master = source.masters().get(2);
		source.kill(source.replicasOf(master).get(0));

		KeyferryProcess copy = start(copy(source.seedUri(), target, 0, "--read-from", "replica", "--partitions", "2"));
		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		String warning = "warning: --read-from replica: the master " + master.address() + " serving slots ";
		assertThat(copy.stderr().lines().filter((line) -> line.startsWith(warning)))
			.as("one warning for the master's two partitions")
			.singleElement()
			.asString()
			.endsWith("has no replica whose link to it is up; its partitions read from the master");
		assertThat(copy.stderr()).doesNotContain("the master " + source.masters().get(0).address() + " serving");
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		// two slices of a small keyspace: a SCAN page can span both, its keys read twice
		assertThat(summary.written()).isGreaterThanOrEqualTo(2_000);
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void aDeadFirstSeedIsPassedOverForTheNextOneOnBothSides(RedisCluster source,
			@RedisClusterOptions(replicas = 0) RedisCluster target) throws IOException {
		TestData.keys(2_000).loadInto(source);
		String sourceUri = "redis://127.0.0.1:" + unusedPort() + "," + source.masters().get(1).address() + ","
				+ source.masters().get(2).address();
		String targetUri = "redis://127.0.0.1:" + unusedPort() + "," + target.masters().get(0).address();

		KeyferryProcess copy = start(copy(sourceUri, targetUri, 0));
		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.written()).isEqualTo(2_000);
		assertThat(summary.field("source")).as("the seeds are kept, in their order").isEqualTo(sourceUri + "/0");
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	/** Calls of a command since the node's statistics were last reset. */
	private static long calls(RedisCluster.Node node, String command) {
		String prefix = "cmdstat_" + command + ":calls=";
		return node.server()
			.sync()
			.info("commandstats")
			.lines()
			.filter((line) -> line.startsWith(prefix))
			.map((line) -> Long.parseLong(line.substring(prefix.length(), line.indexOf(',', prefix.length()))))
			.findFirst()
			.orElse(0L);
	}

	private static int unusedPort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
	}

	/**
	 * A copy from the cluster, one partition per master unless {@code more} says
	 * otherwise, chunks of 100 keys, SCAN pages of about 100 keys.
	 */
	private static String[] copy(String sourceUri, RedisServer target, int rateLimit, String... more) {
		return copy(sourceUri, target.uri(), rateLimit, more);
	}

	private static String[] copy(String sourceUri, String targetUri, int rateLimit, String... more) {
		List<String> args = new ArrayList<>(List.of("copy", "--source", sourceUri, "--target", targetUri, "--json",
				"--chunk-size", "100", "--scan-count", "100", "--rate-limit", Integer.toString(rateLimit), "--progress",
				"plain", "--progress-interval", "1s"));
		if (!List.of(more).contains("--partitions")) {
			args.addAll(List.of("--partitions", "1"));
		}
		args.addAll(List.of(more));
		return args.toArray(String[]::new);
	}

	private KeyferryProcess start(String... args) {
		return this.processes.start(KeyferryProcess.in(this.home), args);
	}

}
