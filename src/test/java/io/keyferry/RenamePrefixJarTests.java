package io.keyferry;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.keyferry.redis.PrefixRenames;
import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyferryProcesses;
import io.keyferry.testsupport.Keyspace;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar with {@code --rename-prefix} and {@code --match}: the matched keys are
 * in the target under their new names with the source's values and TTLs, the others are
 * not copied.
 */
@ExtendWith(RedisServerExtension.class)
class RenamePrefixJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);

	@TempDir
	Path home;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@Test
	void matchedKeysAreWrittenUnderTheirNewPrefix(RedisServer source, RedisServer target) {
		TestData.keys(2000).prefix("shop:").loadInto(source);
		TestData.keys(300).seed(5).prefix("blog:").loadInto(source);
		PrefixRenames renames = PrefixRenames.parse(List.of("shop:=store:"));

		KeyferryProcess copy = this.processes.start(KeyferryProcess.in(this.home), "copy", "--source", source.uri(),
				"--target", target.uri(), "--match", "shop:*", "--rename-prefix", "shop:=store:", "--json",
				"--progress", "off");

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.written()).isEqualTo(2000);
		assertThat(target.sync().keys("shop:*")).isEmpty();
		KeyspaceComparison comparison = KeyspaceComparison.compare(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.DEFAULT_TTL_TOLERANCE,
				(key) -> (key.array()[0] == 's') ? ByteBuffer.wrap(renames.targetKey(key.array())) : null);
		assertThat(comparison.isSame()).as(comparison::report).isTrue();
	}

}
