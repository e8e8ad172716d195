package io.keyferry.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.FallbackData;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.AclSetuserArgs;
import io.lettuce.core.protocol.CommandType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests of big values through the copy job: with a small
 * {@code --chunk-bytes} the collections of several hundred elements are over the batch's
 * budget and copied in pieces (counted as {@code bigValue}), every type with its expiry;
 * a source user who may not run {@code MEMORY} gets one warning and every value DUMPed
 * whole.
 */
@ExtendWith(RedisServerExtension.class)
class BigValuesCopyIntegrationTests {

	@TempDir
	Path home;

	@Test
	void valuesOverTheBatchBudgetAreCopiedInPieces(RedisServer source, RedisServer target) {
		List<byte[]> keys = new ArrayList<>(TestData.keys(200).loadInto(source));
		keys.addAll(FallbackData.loadInto(source));

		CliRun run = CliRun
			.copy(this.home, source.uri(), target.uri(), "--chunk-size", "40", "--scan-count", "40", "--chunk-bytes",
					"40000")
			.assertExitCode(ExitCode.OK);

		CopySummary summary = run.balancedSummary();
		assertThat(summary.read()).isEqualTo(keys.size());
		assertThat(summary.written()).isEqualTo(keys.size());
		assertThat(summary.fallback().get("bigValue")).as("keys copied in pieces").isPositive().isLessThan(keys.size());
		assertThat(run.err()).doesNotContain("read whole with DUMP");
		assertThat(target.sync().keys("*keyferry-tmp*")).as("temporary keys left").isEmpty();
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void aSourceUserWithoutMemoryIsWarnedOnceAndGetsEveryValueWhole(RedisServer source, RedisServer target) {
		source.sync()
			.aclSetuser("copier",
					AclSetuserArgs.Builder.on()
						.addPassword("secret")
						.allKeys()
						.allCommands()
						.removeCommand(CommandType.MEMORY));
		List<byte[]> keys = TestData.keys(200).loadInto(source);

		CliRun run = CliRun
			.copy(this.home, source.uri("copier", "secret"), target.uri(), "--chunk-size", "40", "--scan-count", "40",
					"--chunk-bytes", "40000", "--partitions", "2")
			.assertExitCode(ExitCode.OK);

		CopySummary summary = run.balancedSummary();
		// partitions may both see a key that a rehash moved: at least once
		assertThat(summary.written()).isEqualTo(summary.read()).isGreaterThanOrEqualTo(keys.size());
		assertThat(summary.fallback()).containsEntry("bigValue", 0L);
		assertThat(run.err().lines().filter((line) -> line.contains("read whole with DUMP"))).singleElement()
			.asString()
			.startsWith("warning: ")
			.contains("the source refuses memory");
		KeyspaceComparison.assertSameContent(source, target);
	}

}
