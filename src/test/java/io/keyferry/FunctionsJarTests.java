package io.keyferry;

import java.nio.file.Path;
import java.time.Duration;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyferryProcesses;
import io.keyferry.testsupport.KeyspaceComparison;
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
 * with {@code FCALL} on the target after the copy, and the keys are all there.
 */
@ExtendWith(RedisServerExtension.class)
class FunctionsJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);

	@TempDir
	Path home;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@Test
	void fcallWorksOnTheTargetAfterACopyWithFunctions(RedisServer source, RedisServer target) {
		TestData.keys(500).loadInto(source);
		source.sync()
			.functionLoad("#!lua name=shop\n"
					+ "redis.register_function('price_of', function(keys, args) return redis.call('GET', keys[1]) end)");
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

}
