package io.keyferry;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.keyferry.cli.ExitCode;
import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bounded memory for big values (invariant 9): the packaged jar, on a 256 MB heap
 * ({@link KeyferryProcess}'s JVM options), copies strings of 50 MB and 100 MB and a hash
 * of 1,000,000 fields among a few thousand small keys in one execution: the big values
 * are found with {@code MEMORY USAGE} before DUMP and copied in pieces, never held whole
 * (before, such a run ended in Netty {@code OutOfMemoryError}s); {@code verify} then
 * compares them in pieces on the same heap.
 */
@ExtendWith(RedisServerExtension.class)
class LargeValuesJarTests {

	private static final int MB = 1024 * 1024;

	private static final int HASH_FIELDS = 1_000_000;

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);

	@TempDir
	Path home;

	@Test
	void copiesHundredMegabyteValuesInPiecesOnASmallHeap(RedisServer source, RedisServer target) throws Exception {
		List<byte[]> small = TestData.keys(3000).loadInto(source);
		loadBigValues(source);
		source.binarySync().pexpire(bytes("big:string:100"), Duration.ofHours(1).toMillis());

		try (KeyferryProcess process = KeyferryProcess.in(this.home)
			.start("copy", "--source", source.uri(), "--target", target.uri(), "--json", "--progress", "off")) {
			assertThat(process.waitFor(RUN_TIMEOUT)).as(process::describe).isEqualTo(ExitCode.OK);
			assertThat(process.stdout() + process.stderr()).as(process::describe).doesNotContain("OutOfMemoryError");
			CopySummary summary = process.summary().assertCountsAddUp();
			assertThat(summary.written()).isEqualTo(small.size() + 3);
			assertThat(summary.fallback()).containsEntry("bigValue", 3L);
		}
		Path log = this.home.resolve("logs").resolve("keyferry.log");
		assertThat(Files.exists(log) ? Files.readString(log) : "").doesNotContain("OutOfMemoryError");
		assertThat(target.sync().keys("*keyferry-tmp*")).isEmpty();
		KeyspaceComparison.assertSameContent(source, target);

		// verify compares the big values in pieces too, on the same heap
		try (KeyferryProcess process = KeyferryProcess.in(this.home)
			.start("verify", "--source", source.uri(), "--target", target.uri(), "--json", "--progress", "off")) {
			assertThat(process.waitFor(RUN_TIMEOUT)).as(process::describe).isEqualTo(ExitCode.OK);
			assertThat(process.stdout() + process.stderr()).as(process::describe).doesNotContain("OutOfMemoryError");
			assertThat(process.stdout()).contains("\"equal\":" + (small.size() + 3));
		}
	}

	/**
	 * Strings of 50 and 100 MB built with {@code APPEND} of 1 MB pieces, and a hash of
	 * 1,000,000 fields built with {@code HSET} of 1,000 fields, pipelined.
	 */
	private static void loadBigValues(RedisServer source) throws Exception {
		byte[] piece = new byte[MB];
		Arrays.fill(piece, (byte) 'x');
		try (StatefulRedisConnection<byte[], byte[]> connection = source.connect()) {
			RedisAsyncCommands<byte[], byte[]> redis = connection.async();
			List<RedisFuture<?>> replies = new ArrayList<>();
			for (int i = 0; i < 50; i++) {
				piece[0] = (byte) ('a' + i % 26);
				replies.add(redis.append(bytes("big:string:50"), piece.clone()));
			}
			for (int i = 0; i < 100; i++) {
				piece[1] = (byte) ('a' + i % 26);
				replies.add(redis.append(bytes("big:string:100"), piece.clone()));
			}
			await(replies);
			for (int page = 0; page < HASH_FIELDS / 1000; page++) {
				Map<byte[], byte[]> fields = new LinkedHashMap<>();
				for (int i = page * 1000; i < (page + 1) * 1000; i++) {
					fields.put(bytes("field:" + i), bytes("value:" + i));
				}
				replies.add(redis.hset(bytes("big:hash"), fields));
			}
			await(replies);
		}
		assertThat(source.sync().hlen("big:hash")).isEqualTo(HASH_FIELDS);
		assertThat(source.sync().strlen("big:string:100")).isEqualTo(100L * MB);
	}

	private static void await(List<RedisFuture<?>> replies) {
		assertThat(LettuceFutures.awaitAll(60, TimeUnit.SECONDS, replies.toArray(new RedisFuture<?>[0]))).isTrue();
		replies.clear();
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

}
