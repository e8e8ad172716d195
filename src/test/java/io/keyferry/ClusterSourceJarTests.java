package io.keyferry;

import java.nio.file.Path;
import java.time.Duration;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyferryProcesses;
import io.keyferry.testsupport.Keyspace;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisCluster;
import io.keyferry.testsupport.RedisClusterExtension;
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
 * The packaged jar copying from a real local Redis Cluster (3 masters, 1 replica each) to
 * a standalone target: every master scanned on its own connection with its own
 * checkpoint, and nothing lost when a master fails over or slots move, between two
 * executions (the copy killed) or during one. Every test ends with a full comparison of
 * the cluster with the target.
 */
@ExtendWith({ RedisClusterExtension.class, RedisServerExtension.class })
class ClusterSourceJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(180);

	private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(60);

	private static final int KEYS = 15_000;

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
	void copiesEveryMasterOfAClusterWithBinaryKeysAndHashTags(RedisCluster source, RedisServer target) {
		TestData.keys(KEYS).hashTags(20).loadInto(source);

		KeyferryProcess copy = start(copy(source, target, 0));
		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.written()).isEqualTo(KEYS);
		assertThat(this.repository.stepStatuses(summary.executionId()).keySet()).as("one partition per master")
			.filteredOn((step) -> step.startsWith("copy-partition:"))
			.hasSize(3)
			.allSatisfy((step) -> assertThat(step).matches("copy-partition:s\\d+-\\d+\\.range0"));
		KeyferryProcess show = start("show", Long.toString(summary.executionId()));
		assertThat(show.waitFor(RUN_TIMEOUT)).as(show::describe).isEqualTo(0);
		for (RedisCluster.Node master : source.masters()) {
			String slots = source.slotsOf(master).first() + "-" + source.slotsOf(master).last();
			assertThat(show.stdout()).as("show names each master and its slots")
				.contains("source node " + master.address() + ", slots " + slots);
		}
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void masterFailedOverBetweenExecutionsIsScannedAgainAndTheOthersResume(RedisCluster source, RedisServer target) {
		TestData.keys(KEYS).loadInto(source);

		KeyferryProcess killed = start(copy(source, target, 1500));
		this.repository.awaitCommittedChunks(killed, 40, PROGRESS_TIMEOUT);
		killed.kill();
		killed.waitFor(RUN_TIMEOUT);
		RedisCluster.Node master = source.masters().get(1);
		RedisCluster.Node promoted = source.failover(master);

		KeyferryProcess resumed = start(copy(source, target, 0));
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(0);
		assertThat(resumed.stderr()).contains("resuming run",
				"source node " + promoted.address() + " is not the process the checkpoint was made with");
		CopySummary summary = resumed.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.rescans()).as("only the failed-over master's partition is scanned again").isEqualTo(1);
		assertThat(summary.read()).as("keys read by the resumed execution").isLessThan(KEYS);
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void masterFailedOverDuringTheRunLosesNoKey(RedisCluster source, RedisServer target) {
		TestData.keys(KEYS).loadInto(source);

		KeyferryProcess copy = start(copy(source, target, 1500));
		this.repository.awaitCommittedChunks(copy, 20, PROGRESS_TIMEOUT);
		source.failover(source.masters().get(0));

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		assertThat(copy.stderr()).contains("is no longer a master",
				"are copied again before the run completes (pass 2)");
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void reshardedBetweenExecutionsLosesNoKey(RedisCluster source, RedisServer target) {
		TestData.keys(KEYS).loadInto(source);

		KeyferryProcess killed = start(copy(source, target, 1500));
		this.repository.awaitCommittedChunks(killed, 20, PROGRESS_TIMEOUT);
		killed.kill();
		killed.waitFor(RUN_TIMEOUT);
		source.reshard(source.masters().get(0), source.masters().get(2), 500);

		KeyferryProcess resumed = start(copy(source, target, 0));
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(0);
		CopySummary summary = resumed.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void reshardedDuringTheRunLosesNoKey(RedisCluster source, RedisServer target) {
		TestData.keys(KEYS).loadInto(source);

		KeyferryProcess copy = start(copy(source, target, 1500));
		this.repository.awaitCommittedChunks(copy, 20, PROGRESS_TIMEOUT);
		source.reshard(source.masters().get(0), source.masters().get(1), 300);

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		assertThat(copy.stderr()).contains("are copied again before the run completes");
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	/** A copy from the cluster, chunks of 100 keys, SCAN pages of about 100 keys. */
	private static String[] copy(RedisCluster source, RedisServer target, int rateLimit) {
		return new String[] { "copy", "--source", source.seedUri(), "--target", target.uri(), "--json", "--partitions",
				"1", "--chunk-size", "100", "--scan-count", "100", "--rate-limit", Integer.toString(rateLimit),
				"--progress", "plain", "--progress-interval", "1s" };
	}

	private KeyferryProcess start(String... args) {
		return this.processes.start(KeyferryProcess.in(this.home), args);
	}

}
