package io.keyferry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.JsonDocument;
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
 * The packaged jar copying into a real local Redis Cluster: from a standalone server and
 * from a cluster with another number of masters, each key written to the master serving
 * its slot; slots migrating and resharded during the run ({@code ASK}, {@code MOVED} on
 * the write path); a target master failed over during the run (what it held is written
 * again); a cluster-to-cluster copy killed and stopped mid-run, resumed without starting
 * over; {@code verify --extra} killed during its scan of the masters, finished by the
 * same command. Every test ends with a full comparison of source and target.
 */
@ExtendWith({ RedisClusterExtension.class, RedisServerExtension.class })
class ClusterTargetJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(180);

	private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(60);

	private static final int KEYS = 12_000;

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
	void standaloneToClusterWritesEveryKeyToTheMasterOfItsSlot(RedisServer source,
			@RedisClusterOptions(replicas = 0) RedisCluster target) {
		TestData.keys(KEYS).hashTags(20).loadInto(source);

		KeyferryProcess copy = start(copy(source.uri(), target.seedUri(), 0));
		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.written()).isEqualTo(KEYS);
		for (RedisCluster.Node master : target.masters()) {
			assertThat(master.server().sync().dbsize()).as("keys on %s", master).isPositive();
		}
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void clusterToClusterWithAnotherNumberOfMasters(RedisCluster source,
			@RedisClusterOptions(masters = 4, replicas = 0) RedisCluster target) {
		TestData.keys(KEYS).hashTags(20).loadInto(source);

		KeyferryProcess copy = start(copy(source.seedUri(), target.seedUri(), 0));
		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.written()).isEqualTo(KEYS);
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	/**
	 * A slot is left migrating on the target before the copy (its keys are sent to the
	 * importing node with {@code ASKING}: only that can put them there), and slots are
	 * resharded while the copy writes ({@code MOVED}, and {@code ASK} while they move).
	 */
	@Test
	void targetSlotsMigratingAndReshardedDuringTheRunLoseNoKey(RedisServer source,
			@RedisClusterOptions(replicas = 0) RedisCluster target) {
		// 20 hash tags: 20 slots with 600 keys each, met all through the scan
		List<byte[]> keys = TestData.keys(KEYS).hashTags(20).loadInto(source);
		RedisCluster.Node from = target.masters().get(0);
		RedisCluster.Node to = target.masters().get(1);
		java.util.SortedSet<Integer> fromSlots = target.slotsOf(from);
		int slot = keys.stream().mapToInt(RedisCluster::slotOf).filter(fromSlots::contains).findFirst().orElseThrow();
		RedisCluster.Migration migration = target.beginMigration(slot, from, to, 0);

		KeyferryProcess copy = start(copy(source.uri(), target.seedUri(), 1500));
		this.repository.awaitCommittedChunks(copy, 20, PROGRESS_TIMEOUT);
		assertThat(to.server().sync().clusterCountKeysInSlot(slot))
			.as("keys of migrating slot %d written to the importing node (only ASKING puts them there)", slot)
			.isPositive();
		target.finishMigration(migration);
		target.reshard(target.masters().get(2), target.masters().get(0), 300);

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		assertThat(copy.summary().assertCountsAddUp().status()).isEqualTo("COMPLETED");
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void targetMasterFailedOverDuringTheRunIsWrittenAgain(RedisServer source, RedisCluster target) {
		TestData.keys(KEYS).loadInto(source);

		KeyferryProcess copy = start(copy(source.uri(), target.seedUri(), 1500));
		this.repository.awaitCommittedChunks(copy, 20, PROGRESS_TIMEOUT);
		RedisCluster.Node promoted = target.failover(target.masters().get(1));

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		assertThat(copy.stderr()).as(copy::describe).contains("target cluster", promoted.id());
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.rescans()).as("written again").isPositive();
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void clusterCopyKilledAndStoppedMidRunResumesWithoutStartingOver(RedisCluster source,
			@RedisClusterOptions(replicas = 0) RedisCluster target) {
		TestData.keys(KEYS).loadInto(source);

		KeyferryProcess killed = start(copy(source.seedUri(), target.seedUri(), 1500));
		this.repository.awaitCommittedChunks(killed, 30, PROGRESS_TIMEOUT);
		killed.kill();
		killed.waitFor(RUN_TIMEOUT);

		KeyferryProcess stopped = start(copy(source.seedUri(), target.seedUri(), 1500));
		this.repository.awaitCommittedChunks(stopped, 15, PROGRESS_TIMEOUT);
		stopped.terminate();
		assertThat(stopped.waitFor(RUN_TIMEOUT)).as(stopped::describe).isEqualTo(3);
		CopySummary first = stopped.summary().assertCountsAddUp();
		assertThat(first.status()).isEqualTo("STOPPED");
		assertThat(first.read()).as("keys read after the kill").isLessThan(KEYS);

		KeyferryProcess resumed = start(copy(source.seedUri(), target.seedUri(), 0));
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(0);
		CopySummary summary = resumed.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.rescans()).as("no node changed").isZero();
		assertThat(summary.read()).as("keys read after the stop").isLessThan(KEYS);
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	/**
	 * {@code --on-conflict skip} compares an existing key with the source's value on the
	 * master that holds it: a key that already holds the same value counts as written, a
	 * different one is skipped.
	 */
	@Test
	void conflictsAreComparedOnTheMasterThatHoldsTheKey(RedisServer source,
			@RedisClusterOptions(replicas = 0) RedisCluster target) {
		List<byte[]> keys = TestData.keys(3000).loadInto(source);
		KeyferryProcess first = start(copy(source.uri(), target.seedUri(), 0));
		assertThat(first.waitFor(RUN_TIMEOUT)).as(first::describe).isEqualTo(0);
		byte[] changed = keys.stream()
			.filter((key) -> new String(key, java.nio.charset.StandardCharsets.ISO_8859_1).contains(":string:"))
			.filter((key) -> source.binarySync().pttl(key) == -1)
			.findFirst()
			.orElseThrow();
		target.binarySync().set(changed, "changed on the target".getBytes(java.nio.charset.StandardCharsets.UTF_8));

		KeyferryProcess skip = start(with(copy(source.uri(), target.seedUri(), 0), "--on-conflict", "skip", "--fresh"));
		assertThat(skip.waitFor(RUN_TIMEOUT)).as(skip::describe).isEqualTo(0);
		CopySummary summary = skip.summary().assertCountsAddUp();
		assertThat(summary.skipped()).as(skip::describe).containsEntry("exists", 1L);
		assertThat(summary.written()).as("keys already holding the source's value").isEqualTo(keys.size() - 1);
		assertThat(target.binarySync().get(changed)).asString().isEqualTo("changed on the target");
		target.binarySync()
			.restore(changed, source.binarySync().dump(changed), new io.lettuce.core.RestoreArgs().replace());
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void aClusterTargetWithADatabaseIsAUsageError(RedisServer source,
			@RedisClusterOptions(replicas = 0) RedisCluster target) {
		TestData.keys(100).loadInto(source);
		KeyferryProcess copy = start(copy(source.uri(), target.seedUri() + "/2", 0));
		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(2);
		assertThat(copy.stderr()).contains("is a Redis Cluster, which has database 0 only", "--target");
		for (RedisCluster.Node master : target.masters()) {
			assertThat(master.server().sync().dbsize()).as("nothing written to %s", master).isZero();
		}
	}

	@Test
	void verifyExtraKilledDuringItsScanOfTheMastersIsFinishedByTheSameCommand(RedisServer source,
			@RedisClusterOptions(replicas = 0, persistence = true) RedisCluster target) {
		TestData.keys(600).loadInto(source);
		KeyferryProcess copy = start(copy(source.uri(), target.seedUri(), 0));
		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		Set<String> extra = new HashSet<>();
		for (int i = 0; i < 60; i++) {
			target.sync().set("stray:" + i, "only in the target");
			extra.add("stray:" + i);
		}
		for (RedisCluster.Node master : target.masters()) {
			assertThat(master.server().sync().keys("stray:*")).as("extra keys on %s", master).isNotEmpty();
		}
		String[] verify = { "verify", "--source", source.uri(), "--target", target.seedUri(), "--extra", "--json",
				"--progress", "off", "--scan-count", "20", "--pass-pause", "10ms" };

		KeyferryProcess killed = this.processes
			.start(KeyferryProcess.in(this.home).env("KEYFERRY_TEST_HALT_AT", "extra-recorded"), verify);
		killed.awaitStderr(PROGRESS_TIMEOUT, "keyferry: halted at extra-recorded");
		killed.kill();
		// the master in progress is another process now: its saved cursor is not reused
		for (RedisCluster.Node master : target.masters()) {
			target.restart(master);
		}
		KeyferryProcess resumed = start(verify);

		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(4);
		Map<String, Object> summary = JsonDocument.object(resumed.stdout());
		// the master in progress when killed is scanned again from its start: every
		// extra key of every master
		assertThat(resumed.stderr()).contains("the target's process changed");
		// (the source's keys are compared again too: the target's processes changed)
		assertThat(summary).containsEntry("run", 1L)
			.containsEntry("missing", 0L)
			.containsEntry("extra", (long) extra.size())
			.containsEntry("differences", (long) extra.size());
		KeyferryProcess fix = start(with(verify, "--fix", "--delete-extra"));
		assertThat(fix.waitFor(RUN_TIMEOUT)).as(fix::describe).isEqualTo(0);
		assertThat(JsonDocument.object(fix.stdout())).containsEntry("deleted", (long) extra.size());
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	/**
	 * A copy in chunks of 100 keys, SCAN pages of about 100 keys, one partition per
	 * source (per master of a cluster source).
	 */
	private static String[] copy(String source, String target, int rateLimit) {
		return new String[] { "copy", "--source", source, "--target", target, "--json", "--partitions", "1",
				"--chunk-size", "100", "--scan-count", "100", "--rate-limit", Integer.toString(rateLimit), "--progress",
				"plain", "--progress-interval", "1s" };
	}

	private static String[] with(String[] args, String... more) {
		String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
		System.arraycopy(more, 0, all, args.length, more.length);
		return all;
	}

	private KeyferryProcess start(String... args) {
		return this.processes.start(KeyferryProcess.in(this.home), args);
	}

}
