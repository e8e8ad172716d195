package io.keyferry.job.item;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.keyferry.redis.Backoff;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.KeyScanner;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.batch.infrastructure.item.ExecutionContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ScanKeyReader} restarted from a checkpoint taken in the middle of a SCAN page
 * (as after a kill): it re-scans that page; a reader that counts each key once (verify)
 * leaves out the keys of that page it had handed out, a copy's reader hands them out
 * again. Either way no key is missed.
 */
@ExtendWith(RedisServerExtension.class)
class ScanKeyReaderIntegrationTests {

	private static final int KEYS = 1000;

	@Test
	void aReaderThatCountsOnceHandsOutEachKeyOnceAcrossARestartMidPage(RedisServer server) {
		Set<String> all = load(server);

		Restart restart = readRestartedMidPage(server, true);

		assertThat(restart.overlap()).as("keys handed out before and after the restart").isEmpty();
		assertThat(restart.union()).isEqualTo(all);
	}

	@Test
	void aCopysReaderHandsOutThePageInProgressAgain(RedisServer server) {
		Set<String> all = load(server);

		Restart restart = readRestartedMidPage(server, false);

		assertThat(restart.overlap()).as("keys of the page in progress, handed out again").isNotEmpty();
		assertThat(restart.union()).isEqualTo(all);
	}

	private static Set<String> load(RedisServer server) {
		Set<String> keys = new HashSet<>();
		for (int i = 0; i < KEYS; i++) {
			server.sync().set("key:" + i, "v");
			keys.add("key:" + i);
		}
		return keys;
	}

	/**
	 * Hands out 77 keys in batches of 7 (SCAN COUNT 100: the first page holds about 100),
	 * checkpoints, then reads everything with a new reader opened from that checkpoint.
	 */
	private static Restart readRestartedMidPage(RedisServer server, boolean countsEachKeyOnce) {
		try (StatefulRedisConnection<byte[], byte[]> connection = server.connect()) {
			ExecutionContext context = new ExecutionContext();
			ScanKeyReader first = reader(server, connection, countsEachKeyOnce);
			first.open(context);
			List<String> before = new ArrayList<>();
			for (int i = 0; i < 11; i++) {
				before.addAll(names(first.read()));
			}
			first.update(context);
			assertThat(before).hasSize(77).doesNotHaveDuplicates();

			ScanKeyReader second = reader(server, connection, countsEachKeyOnce);
			second.open(context);
			List<String> after = new ArrayList<>();
			for (KeyBatch batch = second.read(); batch != null; batch = second.read()) {
				after.addAll(names(batch));
			}
			Set<String> overlap = new HashSet<>(before);
			overlap.retainAll(after);
			Set<String> union = new HashSet<>(before);
			union.addAll(after);
			return new Restart(overlap, union);
		}
	}

	private static ScanKeyReader reader(RedisServer server, StatefulRedisConnection<byte[], byte[]> connection,
			boolean countsEachKeyOnce) {
		Endpoint endpoint = Endpoint.parse("source", server.uri());
		ServerIdentities identities = new ServerIdentities(endpoint, endpoint, () -> "a", () -> "t", false);
		return new ScanKeyReader(new KeyScanner(connection, "*", null, 100), endpoint, identities, 1, 7,
				Backoff.DEFAULT, new ItemMonitor() {

					@Override
					public void warn(String message) {
					}

					@Override
					public void chunkWritten(KeyCounts counts) {
					}

					@Override
					public void position(String partition, double fraction, double weight) {
					}

					@Override
					public boolean isStopRequested() {
						return false;
					}

				}, "node0.range0", new Throttle(0), countsEachKeyOnce);
	}

	private static List<String> names(KeyBatch batch) {
		return batch.keys().stream().map((key) -> new String(key, StandardCharsets.UTF_8)).toList();
	}

	private record Restart(Set<String> overlap, Set<String> union) {
	}

}
