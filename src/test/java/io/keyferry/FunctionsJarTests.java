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
import io.keyferry.testsupport.RedisClusterOptions;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.ScriptOutputType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar with {@code --functions}: a library loaded on the source is callable
 * with {@code FCALL} on the target after the copy, and the keys are all there; between
 * clusters, on every master of the target.
 */
@ExtendWith({ RedisServerExtension.class, RedisClusterExtension.class })
class FunctionsJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);

	private static final String LIBRARY = "#!lua name=shop\n"
			+ "redis.register_function('price_of', function(keys, args) return redis.call('GET', keys[1]) end)";

	@TempDir
	Path home;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@Test
	void fcallWorksOnTheTargetAfterACopyWithFunctions(RedisServer source, RedisServer target) {
		TestData.keys(500).loadInto(source);
		source.sync().functionLoad(LIBRARY);
		source.sync().set("shop:price", "42");

		KeyferryProcess copy = this.processes.start(KeyferryProcess.in(this.home), "copy", "--source", source.uri(),
				"--target", target.uri(), "--functions", "--json", "--progress", "off");

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(copy.stderr()).contains("function libraries: copied shop");
		String price = target.sync().fcall("price_of", ScriptOutputType.VALUE, "shop:price");
		assertThat(price).isEqualTo("42");
		KeyspaceComparison.assertSameContent(source, target);
	}

	/**
	 * Functions live on each node: a library loaded on every master of a source cluster
	 * is written to every master of a target cluster with another number of masters, so
	 * that {@code FCALL} works whichever master holds the key.
	 */
	@Test
	void fcallWorksOnEveryMasterOfATargetCluster(@RedisClusterOptions(replicas = 0) RedisCluster source,
			@RedisClusterOptions(masters = 4, replicas = 0) RedisCluster target) {
		TestData.keys(300).loadInto(source);
		for (RedisCluster.Node master : source.masters()) {
			master.server().sync().functionLoad(LIBRARY);
		}
		for (int i = 0; i < 40; i++) {
			source.sync().set("shop:price:" + i, Integer.toString(i));
		}

		KeyferryProcess copy = this.processes.start(KeyferryProcess.in(this.home), "copy", "--source", source.seedUri(),
				"--target", target.seedUri(), "--functions", "--json", "--progress", "off");

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		assertThat(copy.summary().assertCountsAddUp().status()).isEqualTo("COMPLETED");
		assertThat(copy.stderr()).contains("function libraries: copied shop (4 target nodes)");
		java.util.Set<RedisCluster.Node> called = new java.util.HashSet<>();
		for (int i = 0; i < 40; i++) {
			String key = "shop:price:" + i;
			RedisCluster.Node master = target.masterOf(key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
			String price = master.server().sync().fcall("price_of", ScriptOutputType.VALUE, key);
			assertThat(price).as("FCALL price_of %s on %s", key, master).isEqualTo(Integer.toString(i));
			called.add(master);
		}
		assertThat(called).as("target masters FCALL ran on").hasSize(4);
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

}
