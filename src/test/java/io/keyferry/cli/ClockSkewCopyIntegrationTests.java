package io.keyferry.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invariant 5 when the hosts' clocks differ: source and target run on wall clocks ten
 * minutes ahead of and behind this machine's (20 minutes apart), and every copied key
 * keeps its remaining time to live to within milliseconds. Expiries cross as absolute
 * times (PEXPIRETIME, RESTORE ABSTTL), so a clock offset that is ignored or has the wrong
 * sign moves them by 10 or 20 minutes, and drops the keys whose TTL is shorter than that
 * as already expired.
 */
@ExtendWith(RedisServerExtension.class)
class ClockSkewCopyIntegrationTests {

	private static final String[] SMALL_CHUNKS = { "--chunk-size", "50", "--scan-count", "50", "--threads", "2" };

	private static final Duration TTL_TOLERANCE = Duration.ofMillis(100);

	private static final long TWENTY_MINUTES = Duration.ofMinutes(20).toMillis();

	@TempDir
	Path home;

	@Test
	void keepsRemainingTtlWhenTheSourceClockIsAheadOfTheTargetClock(
			@RedisServerOptions(clockOffsetSeconds = 600) RedisServer source,
			@RedisServerOptions(clockOffsetSeconds = -600) RedisServer target) {
		List<byte[]> keys = loadVolatileKeys(source);

		copyAll(source, target, keys);

		byte[] key = keys.get(0);
		long sourceExpiry = source.binarySync().pexpiretime(key);
		long targetExpiry = target.binarySync().pexpiretime(key);
		assertThat(sourceExpiry - targetExpiry).as("expiry on the source's clock minus the target's")
			.isBetween(TWENTY_MINUTES - TTL_TOLERANCE.toMillis(), TWENTY_MINUTES + TTL_TOLERANCE.toMillis());
	}

	@Test
	void keepsRemainingTtlWhenTheSourceClockIsBehindTheTargetClock(
			@RedisServerOptions(clockOffsetSeconds = -600) RedisServer source,
			@RedisServerOptions(clockOffsetSeconds = 600) RedisServer target) {
		List<byte[]> keys = loadVolatileKeys(source);

		copyAll(source, target, keys);

		byte[] key = keys.get(0);
		long sourceExpiry = source.binarySync().pexpiretime(key);
		long targetExpiry = target.binarySync().pexpiretime(key);
		assertThat(targetExpiry - sourceExpiry).as("expiry on the target's clock minus the source's")
			.isBetween(TWENTY_MINUTES - TTL_TOLERANCE.toMillis(), TWENTY_MINUTES + TTL_TOLERANCE.toMillis());
	}

	/**
	 * Every key volatile, with TTLs from 2 minutes (shorter than the skew) to 2 hours.
	 */
	private static List<byte[]> loadVolatileKeys(RedisServer source) {
		return TestData.keys(400).ttlFraction(1).ttl(Duration.ofMinutes(2), Duration.ofHours(2)).loadInto(source);
	}

	private void copyAll(RedisServer source, RedisServer target, List<byte[]> keys) {
		CliRun run = CliRun.copy(this.home, source.uri(), target.uri(), SMALL_CHUNKS).assertExitCode(ExitCode.OK);

		assertThat(run.balancedSummary().written()).isEqualTo(keys.size());
		assertThat(keys).allSatisfy((key) -> assertThat(target.binarySync().pttl(key)).isPositive());
		// expiries compared on this machine's clock: the remaining time to live
		KeyspaceComparison.assertSameContent(source, target, TTL_TOLERANCE);
	}

}
