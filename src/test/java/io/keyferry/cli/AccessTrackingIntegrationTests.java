package io.keyferry.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.keyferry.testsupport.Keyspace;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisCluster;
import io.keyferry.testsupport.RedisClusterExtension;
import io.keyferry.testsupport.RedisClusterOptions;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.RestoreArgs;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The source's LRU/LFU information survives the copy: for a target whose
 * {@code maxmemory-policy} evicts by idle time or access frequency, each key's
 * {@code OBJECT IDLETIME}/{@code FREQ} is read before DUMP (which counts as a use on
 * Redis 7.0, so reading after it would find every key just used) and written with
 * {@code RESTORE … IDLETIME}/{@code FREQ}; for any other target nothing more is sent. One
 * source and one target serve every test, their policies set with {@code CONFIG SET}.
 */
@ExtendWith({ RedisServerExtension.class, RedisClusterExtension.class })
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AccessTrackingIntegrationTests {

	private static final String USER = "kf-source";

	private static final String PASSWORD = "access-tracking-pw";

	@TempDir
	Path home;

	private RedisServer source;

	private RedisServer target;

	@BeforeAll
	void startServers(RedisServer source, RedisServer target) {
		this.source = source;
		this.target = target;
	}

	@BeforeEach
	void emptyServers() {
		for (RedisServer server : List.of(this.source, this.target)) {
			server.sync().flushall();
			server.sync().configSet("maxmemory-policy", "noeviction");
			server.sync().configSet("lfu-decay-time", "1");
			server.sync().configResetstat();
		}
	}

	@Test
	void anLruTargetGetsTheSourcesIdleTimes() {
		this.target.sync().configSet("maxmemory-policy", "allkeys-lru");
		TestData.keys(300).loadInto(this.source);
		Map<String, Long> idle = new LinkedHashMap<>();
		for (int i = 0; i < 10; i++) {
			idle.put("idle:" + i, withIdleTime(this.source, "idle:" + i, (i % 2 == 0) ? 1000 : 5000));
		}
		long started = System.nanoTime();

		CliRun.copy(this.home, this.source.uri(), this.target.uri(), "--chunk-size", "50").assertExitCode(ExitCode.OK);

		long elapsed = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started) + 2;
		idle.forEach((key, before) -> assertThat(this.target.sync().objectIdletime(key)).as("idle time of %s", key)
			.isBetween(before, before + elapsed));
		assertThat(objectCalls(this.source)).as("OBJECT calls on the source").isGreaterThanOrEqualTo(310);
		KeyspaceComparison.assertSameContent(this.source, this.target);
	}

	@Test
	void anLfuTargetGetsTheSourcesFrequencies() {
		for (RedisServer server : List.of(this.source, this.target)) {
			server.sync().configSet("maxmemory-policy", "allkeys-lfu");
			// no decay while the test runs
			server.sync().configSet("lfu-decay-time", "0");
		}
		TestData.keys(300).loadInto(this.source);
		// 3: under LFU_INIT_VAL (5) every access increments the counter, so a read
		// after DUMP would find 4
		Map<String, Long> frequencies = Map.of("freq:low", 3L, "freq:mid", 50L, "freq:high", 200L);
		frequencies.forEach((key, frequency) -> withFrequency(this.source, key, frequency));

		CliRun.copy(this.home, this.source.uri(), this.target.uri(), "--chunk-size", "50").assertExitCode(ExitCode.OK);

		frequencies
			.forEach((key, frequency) -> assertThat(this.target.sync().objectFreq(key)).as("frequency of %s", key)
				.isEqualTo(frequency));
		KeyspaceComparison.assertSameContent(this.source, this.target);
	}

	@Test
	void clusterToClusterFrequenciesFollowEachKeyToItsNode(
			@RedisClusterOptions(masters = 3, replicas = 0) RedisCluster source,
			@RedisClusterOptions(masters = 3, replicas = 0) RedisCluster target) {
		for (RedisCluster cluster : List.of(source, target)) {
			for (RedisCluster.Node node : cluster.masters()) {
				node.server().sync().configSet("maxmemory-policy", "allkeys-lfu");
				node.server().sync().configSet("lfu-decay-time", "0");
			}
		}
		TestData.keys(300).loadInto(source);
		Map<String, Long> frequencies = new LinkedHashMap<>();
		for (int i = 0; i < 30; i++) {
			String key = "freq:" + i;
			frequencies.put(key, (long) (i * 7 % 250));
			withFrequency(source.masterOf(key.getBytes(StandardCharsets.UTF_8)).server(), key, frequencies.get(key));
		}

		CliRun.copy(this.home, source.seedUri(), target.seedUri(), "--chunk-size", "50").assertExitCode(ExitCode.OK);

		frequencies.forEach((key,
				frequency) -> assertThat(
						target.masterOf(key.getBytes(StandardCharsets.UTF_8)).server().sync().objectFreq(key))
					.as("frequency of %s", key)
					.isEqualTo(frequency));
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void aTargetThatEvictsByNeitherCostsNothingMore() {
		this.source.sync().configSet("maxmemory-policy", "allkeys-lru");
		TestData.keys(300).loadInto(this.source);

		CliRun run = CliRun.copy(this.home, this.source.uri(), this.target.uri(), "--chunk-size", "50")
			.assertExitCode(ExitCode.OK);

		assertThat(objectCalls(this.source)).as("OBJECT calls on the source").isZero();
		assertThat(run.err()).doesNotContain("warning");
		KeyspaceComparison.assertSameContent(this.source, this.target);
	}

	@Test
	void anLfuTargetOfASourceWithoutFrequenciesGetsNewKeysWithAWarning() {
		this.target.sync().configSet("maxmemory-policy", "volatile-lfu");
		TestData.keys(300).loadInto(this.source);

		CliRun run = CliRun.copy(this.home, this.source.uri(), this.target.uri(), "--chunk-size", "50")
			.assertExitCode(ExitCode.OK);

		assertThat(objectCalls(this.source)).as("OBJECT calls on the source").isZero();
		assertThat(run.err()).contains("warning: the target " + this.target.uri()
				+ "/0 has maxmemory-policy volatile-lfu, but the source " + this.source.uri()
				+ "/0 (noeviction) keeps no access frequencies: keys arrive on the target as new keys");
		KeyspaceComparison.assertSameContent(this.source, this.target);
	}

	@Test
	void aSourceUserWithoutObjectIsCopiedWithAWarningAndWithItKeepsIdleTimes() {
		this.target.sync().configSet("maxmemory-policy", "allkeys-lru");
		TestData.keys(200).loadInto(this.source);
		long before = withIdleTime(this.source, "idle:0", 3000);
		grant(this.source, "info", "scan", "dump", "pexpiretime", "time");

		CliRun without = CliRun
			.copy(this.home, this.source.uri(USER, PASSWORD), this.target.uri(), "--chunk-size", "50")
			.assertExitCode(ExitCode.OK);

		assertThat(without.err()).contains("warning: the source redis://" + USER + "@127.0.0.1:" + this.source.port()
				+ "/0 refuses OBJECT IDLETIME: keys arrive on the target without their idle times (its allkeys-lru policy sees them as new); grant +object|idletime on the source to keep them");
		assertThat(this.target.sync().objectIdletime("idle:0")).isLessThan(before);
		KeyspaceComparison.assertSameContent(this.source, this.target);

		this.target.sync().flushall();
		withIdleTime(this.source, "idle:0", 3000);
		grant(this.source, "info", "scan", "dump", "pexpiretime", "time", "object|idletime");
		long started = System.nanoTime();
		CliRun with = CliRun.copy(this.home, this.source.uri(USER, PASSWORD), this.target.uri(), "--chunk-size", "50")
			.assertExitCode(ExitCode.OK);

		long elapsed = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started) + 2;
		// (the user lacks MEMORY and the type commands: the big-values warning stays)
		assertThat(with.err()).doesNotContain("OBJECT").doesNotContain("idle time");
		assertThat(this.target.sync().objectIdletime("idle:0")).isBetween(3000L, 3000L + elapsed);
		KeyspaceComparison.assertSameContent(this.source, this.target);
	}

	/**
	 * Writes a string key whose idle time is the given one (RESTORE … IDLETIME), and
	 * returns the idle time the server reports.
	 */
	private static long withIdleTime(RedisServer server, String key, long seconds) {
		byte[] name = key.getBytes(StandardCharsets.UTF_8);
		server.sync().set(key, "value of " + key);
		byte[] payload = server.binarySync().dump(name);
		server.binarySync().restore(name, payload, RestoreArgs.Builder.ttl(0).replace().idleTime(seconds));
		Long idle = server.sync().objectIdletime(key);
		assertThat(idle).isGreaterThanOrEqualTo(seconds);
		return idle;
	}

	/**
	 * Writes a string key whose access frequency is the given one (RESTORE … FREQ).
	 */
	private static void withFrequency(RedisServer server, String key, long frequency) {
		byte[] name = key.getBytes(StandardCharsets.UTF_8);
		server.sync().set(key, "value of " + key);
		byte[] payload = server.binarySync().dump(name);
		server.binarySync().restore(name, payload, RestoreArgs.Builder.ttl(0).replace().frequency(frequency));
		assertThat(server.sync().objectFreq(key)).isEqualTo(frequency);
	}

	/**
	 * The OBJECT calls the server ran since its statistics were reset, all subcommands
	 * ({@code cmdstat_object|idletime}, {@code cmdstat_object|freq}, …).
	 */
	private static long objectCalls(RedisServer server) {
		return server.sync()
			.info("commandstats")
			.lines()
			.filter((line) -> line.startsWith("cmdstat_object"))
			.mapToLong((line) -> {
				String calls = line.substring(line.indexOf("calls=") + "calls=".length());
				return Long.parseLong(calls.substring(0, calls.indexOf(',')));
			})
			.sum();
	}

	/**
	 * Makes (or remakes) the source user allowed exactly the given commands, on every
	 * key.
	 */
	private static void grant(RedisServer server, String... commands) {
		CommandArgs<String, String> args = new CommandArgs<>(StringCodec.UTF8).add("SETUSER")
			.add(USER)
			.add("reset")
			.add("on")
			.add(">" + PASSWORD)
			.add("~*");
		for (String command : commands) {
			args.add("+" + command);
		}
		server.sync().dispatch(CommandType.ACL, new StatusOutput<>(StringCodec.UTF8), args);
	}

}
