package io.keyferry;

import java.nio.file.Path;
import java.time.Duration;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyferryProcesses;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisSentinel;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import io.keyferry.testsupport.TlsCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The packaged jar copying from and to a master watched by Redis Sentinel
 * ({@code redis-sentinel://…#mymaster}): it follows the master the Sentinel names, also
 * across a failover between two executions, and the identity rules of DESIGN invariants 4
 * and 10 apply to the master actually connected. One Sentinel group serves as the source,
 * another as the target (its servers and its Sentinel with passwords: the URI's for the
 * master, {@code KEYFERRY_TARGET_SENTINEL_PASSWORD} for the Sentinel); each test empties
 * its group's master first. Every test ends with a full comparison against the master the
 * Sentinel names at the end.
 */
@ExtendWith(RedisServerExtension.class)
class SentinelJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(90);

	private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(60);

	private static final int KEYS = 6000;

	/** The target group's servers' password. */
	private static final String PASSWORD = "data-S3cret";

	/** The target group's Sentinel's password. */
	private static final String SENTINEL_PASSWORD = "sentinel-S3cret";

	private static RedisSentinel sourceGroup;

	private static RedisSentinel targetGroup;

	@TempDir
	Path home;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@BeforeAll
	static void startSentinels() {
		sourceGroup = RedisSentinel.start();
		targetGroup = RedisSentinel.start(PASSWORD, SENTINEL_PASSWORD);
	}

	@AfterAll
	static void stopSentinels() {
		try {
			if (sourceGroup != null) {
				sourceGroup.close();
			}
		}
		finally {
			if (targetGroup != null) {
				targetGroup.close();
			}
		}
	}

	@Test
	void copiesFromOneSentinelsMasterToAnothers() {
		RedisServer source = emptied(sourceGroup);
		RedisServer target = emptied(targetGroup);
		TestData.keys(2000).loadInto(source);

		KeyferryProcess copy = startWithSentinelPassword("copy", "--source", sourceGroup.uri(), "--target",
				targetGroup.uri(PASSWORD), "--json");

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.written()).isEqualTo(2000);
		assertThat(sourceGroup.master()).isSameAs(source);
		assertThat(targetGroup.master()).isSameAs(target);
		assertThat(copy.stdout() + copy.stderr())
			.contains("redis-sentinel://127.0.0.1:" + targetGroup.port() + "/0#mymaster")
			.doesNotContain("S3cret");
		assertNoFileHolds("S3cret");
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void aSentinelThatWantsAPasswordSaysWhereToPutIt(RedisServer source) {
		KeyferryProcess copy = start("copy", "--source", source.uri(), "--target", targetGroup.uri(PASSWORD));

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(2);
		assertThat(copy.stderr())
			.contains(
					"error: the Sentinels of target redis-sentinel://127.0.0.1:" + targetGroup.port()
							+ "/0#mymaster refused keyferry's connection: it answered NOAUTH",
					"hint: a Sentinel with requirepass needs its password in KEYFERRY_TARGET_SENTINEL_PASSWORD "
							+ "(the URI's password is the master's)")
			.doesNotContain("S3cret");
	}

	@Test
	void resumesFromTheNewMasterAfterKillAndSourceFailover(RedisServer target) {
		RedisServer oldMaster = emptied(sourceGroup);
		TestData.keys(KEYS).loadInto(oldMaster);

		KeyferryProcess killed = start(copy(sourceGroup.uri(), target.uri(), 1000));
		awaitWritten(killed, target, 1000);
		killed.kill();
		killed.waitFor(RUN_TIMEOUT);
		assertThat(target.sync().dbsize()).as("keys copied before the kill").isLessThan(KEYS);

		RedisServer newMaster = sourceGroup.failover();
		assertThat(newMaster).isNotSameAs(oldMaster);

		KeyferryProcess resumed = start(copy(sourceGroup.uri(), target.uri(), 0));
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(0);
		assertThat(resumed.stderr()).contains("resuming run",
				"is a new server process since the checkpoint (run_id changed: the Sentinels' master mymaster was "
						+ "restarted or failed over to another server); its SCAN cursors are not valid in the new process");
		CopySummary summary = resumed.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.rescans()).as("partitions scanned again").isGreaterThanOrEqualTo(1);
		assertThat(summary.read()).as("the new master scanned from its start").isGreaterThanOrEqualTo(KEYS);
		assertThat(sourceGroup.master()).isSameAs(newMaster);
		KeyspaceComparison.assertSameContent(newMaster, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	/**
	 * The same over TLS: Sentinel and servers on TLS ports only for keyferry
	 * ({@code rediss-sentinel://}, the CA given with {@code --source-cacert}), the
	 * servers replicating and monitored over TLS.
	 */
	@Test
	void resumesOverTlsFromTheNewMasterAfterKillAndSourceFailover(RedisServer target, @TempDir Path certificateDir) {
		TlsCertificates certificates = TlsCertificates.create(certificateDir);
		try (RedisSentinel group = RedisSentinel.startTls(certificates)) {
			assertThat(group.uri()).startsWith("rediss-sentinel://");
			RedisServer oldMaster = group.master();
			TestData.keys(KEYS).loadInto(oldMaster);

			KeyferryProcess killed = start(
					withCa(copy(group.uri(), target.uri(), 1000), certificates.caCert().toString()));
			awaitWritten(killed, target, 1000);
			killed.kill();
			killed.waitFor(RUN_TIMEOUT);
			assertThat(target.sync().dbsize()).as("keys copied before the kill").isLessThan(KEYS);

			RedisServer newMaster = group.failover();
			assertThat(newMaster).isNotSameAs(oldMaster);

			KeyferryProcess resumed = start(
					withCa(copy(group.uri(), target.uri(), 0), certificates.caCert().toString()));
			assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(0);
			assertThat(resumed.stderr()).contains("resuming run", "(run_id changed: the Sentinels' master mymaster");
			CopySummary summary = resumed.summary().assertCountsAddUp();
			assertThat(summary.status()).isEqualTo("COMPLETED");
			assertThat(summary.rescans()).as("partitions scanned again").isGreaterThanOrEqualTo(1);
			assertThat(group.master()).isSameAs(newMaster);
			KeyspaceComparison.assertSameContent(newMaster, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
		}
	}

	@Test
	void writesAgainToTheNewMasterAfterKillAndTargetFailover(RedisServer source) {
		emptied(targetGroup);
		TestData.keys(KEYS).loadInto(source);

		KeyferryProcess killed = startWithSentinelPassword(copy(source.uri(), targetGroup.uri(PASSWORD), 1000));
		awaitWritten(killed, targetGroup.master(), 1000);
		killed.kill();
		killed.waitFor(RUN_TIMEOUT);

		RedisServer newMaster = targetGroup.failover();

		KeyferryProcess resumed = startWithSentinelPassword(copy(source.uri(), targetGroup.uri(PASSWORD), 0));
		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(0);
		assertThat(resumed.stderr()).contains("resuming run",
				"(run_id changed: the Sentinels' master mymaster was restarted or failed over to another server); "
						+ "keys written to the old process may be lost, so they are copied again");
		CopySummary summary = resumed.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.written()).as("every key written again to the new master").isGreaterThanOrEqualTo(KEYS);
		assertThat(targetGroup.master()).isSameAs(newMaster);
		KeyspaceComparison.assertSameContent(source, newMaster, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	/**
	 * Empties the group's master (and through replication its replica).
	 * @return the master
	 */
	private static RedisServer emptied(RedisSentinel group) {
		RedisServer master = group.master();
		master.sync().flushall();
		return master;
	}

	private static void awaitWritten(KeyferryProcess copy, RedisServer target, long keys) {
		long deadline = System.nanoTime() + PROGRESS_TIMEOUT.toNanos();
		while (target.sync().dbsize() < keys) {
			if (!copy.isAlive()) {
				fail("keyferry exited before it wrote " + keys + " keys\n" + copy.describe());
			}
			if (System.nanoTime() > deadline) {
				fail("keyferry did not write " + keys + " keys within " + PROGRESS_TIMEOUT.toSeconds() + " s\n"
						+ copy.describe());
			}
			RedisServer.pause(50);
		}
	}

	/** Neither the repository nor the log under the home holds the text (as UTF-8). */
	private void assertNoFileHolds(String text) {
		try (java.util.stream.Stream<Path> paths = java.nio.file.Files.walk(this.home)) {
			for (Path file : paths.filter(java.nio.file.Files::isRegularFile).toList()) {
				String content = new String(java.nio.file.Files.readAllBytes(file),
						java.nio.charset.StandardCharsets.ISO_8859_1);
				assertThat(content).as("%s", file).doesNotContain(text);
			}
		}
		catch (java.io.IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
	}

	/** A copy in chunks of 100 keys, rate-limited when {@code rateLimit} is not 0. */
	private static String[] copy(String source, String target, int rateLimit) {
		return new String[] { "copy", "--source", source, "--target", target, "--json", "--chunk-size", "100",
				"--scan-count", "100", "--rate-limit", Integer.toString(rateLimit), "--progress", "plain",
				"--progress-interval", "1s" };
	}

	private static String[] withCa(String[] args, String caCert) {
		String[] all = java.util.Arrays.copyOf(args, args.length + 2);
		all[args.length] = "--source-cacert";
		all[args.length + 1] = caCert;
		return all;
	}

	private KeyferryProcess start(String... args) {
		return this.processes.start(KeyferryProcess.in(this.home), args);
	}

	/** A copy whose target's Sentinel password is in its environment variable. */
	private KeyferryProcess startWithSentinelPassword(String... args) {
		return this.processes
			.start(KeyferryProcess.in(this.home).env("KEYFERRY_TARGET_SENTINEL_PASSWORD", SENTINEL_PASSWORD), args);
	}

}
