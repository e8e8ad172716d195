package io.keyferry;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyferryProcesses;
import io.keyferry.testsupport.Keyspace;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RepositoryProbe;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar with {@code copy --delete-missing}: a repeated copy of {@code a:*}
 * removes from the target the {@code a:*} keys deleted in the source, and nothing else
 * (the target's own {@code c:*} keys and its {@code b:*} keys, outside the filter, stay);
 * the {@code deleted} count is the number of keys removed, also when the run is killed in
 * the middle of its deletes and resumed.
 */
@ExtendWith(RedisServerExtension.class)
class DeleteMissingJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);

	private static final int EXIT_SIGKILL = 137;

	@TempDir
	Path home;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@Test
	void deletesTheTargetKeysOfTheFilterThatTheSourceNoLongerHas(RedisServer source, RedisServer target) {
		List<byte[]> removed = prepare(source, target);

		KeyferryProcess copy = start(KeyferryProcess.in(this.home), source, target);

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.field("deleteMissing")).isEqualTo(true);
		assertThat(((Number) summary.field("deleted")).longValue()).isEqualTo(removed.size());
		assertUntouchedOutsideTheFilter(target);
		assertSameFilteredKeyspace(source, target, removed);
	}

	@Test
	void resumesItsDeletesAfterSigkillWithoutLosingCount(RedisServer source, RedisServer target) {
		List<byte[]> removed = prepare(source, target);

		KeyferryProcess killed = start(KeyferryProcess.in(this.home).env("KEYFERRY_TEST_HALT_AT", "delete-unlinked"),
				source, target);
		killed.awaitStderr(RUN_TIMEOUT, "keyferry: halted at delete-unlinked");
		// the page's keys are gone from the target, their count is not committed
		killed.kill();
		assertThat(killed.waitFor(RUN_TIMEOUT)).as(killed::describe).isEqualTo(EXIT_SIGKILL);
		RepositoryProbe repository = new RepositoryProbe(this.home);
		long killedExecution = repository.latestExecutionId();
		long deletedBeforeKill = deleted(killedExecution);
		assertThat(deletedBeforeKill).isLessThan(removed.size());

		KeyferryProcess resumed = start(KeyferryProcess.in(this.home), source, target);

		assertThat(resumed.waitFor(RUN_TIMEOUT)).as(resumed::describe).isEqualTo(0);
		CopySummary summary = resumed.summary().assertCountsAddUp();
		assertThat(summary.executionId()).isGreaterThan(killedExecution);
		assertThat(summary.runId()).isEqualTo(repository.runId(killedExecution));
		assertThat(deletedBeforeKill + ((Number) summary.field("deleted")).longValue()).isEqualTo(removed.size());
		assertUntouchedOutsideTheFilter(target);
		assertSameFilteredKeyspace(source, target, removed);
	}

	@Test
	void aKeyWrittenToTheSourceBeforeItsDeleteIsKept(RedisServer source, RedisServer target) throws Exception {
		TestData.keys(300).prefix("a:").loadInto(source);
		KeyferryProcess first = this.processes.start(KeyferryProcess.in(this.home), "copy", "--source", source.uri(),
				"--target", target.uri(), "--match", "a:*", "--json", "--progress", "off");
		assertThat(first.waitFor(RUN_TIMEOUT)).as(first::describe).isEqualTo(0);
		target.sync().set("a:back", "deleted in the source since the last copy");
		Path release = this.home.resolve("release");

		// halted once a:back is marked for deletion, before the source is asked again
		KeyferryProcess copy = start(KeyferryProcess.in(this.home).haltAt("delete-marked", release), source, target);
		copy.awaitStderr(RUN_TIMEOUT, "keyferry: halted at delete-marked");
		source.sync().set("a:back", "written again");
		Files.createFile(release);

		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(0);
		assertThat(((Number) copy.summary().field("deleted")).longValue()).isZero();
		assertThat(target.sync().get("a:back")).isEqualTo("deleted in the source since the last copy");
		// the next run copies it
		KeyferryProcess next = start(KeyferryProcess.in(this.home), source, target);
		assertThat(next.waitFor(RUN_TIMEOUT)).as(next::describe).isEqualTo(0);
		assertThat(((Number) next.summary().field("deleted")).longValue()).isZero();
		KeyspaceComparison.assertSameContent(source, target);
	}

	/**
	 * A first copy of {@code a:*}, then 150 {@code a:*} keys deleted from the source; the
	 * target also holds {@code b:*} keys (the source's, outside the filter) and
	 * {@code c:*} keys of its own.
	 * @return the deleted keys
	 */
	private List<byte[]> prepare(RedisServer source, RedisServer target) {
		List<byte[]> a = TestData.keys(1500).prefix("a:").loadInto(source);
		TestData.keys(300).seed(7).prefix("b:").loadInto(source);
		TestData.keys(300).seed(7).prefix("b:").loadInto(target);
		TestData.keys(200).seed(9).prefix("c:").loadInto(target);
		KeyferryProcess first = this.processes.start(KeyferryProcess.in(this.home), "copy", "--source", source.uri(),
				"--target", target.uri(), "--match", "a:*", "--json", "--progress", "off");
		assertThat(first.waitFor(RUN_TIMEOUT)).as(first::describe).isEqualTo(0);
		assertThat(first.summary().field("deleteMissing")).isEqualTo(false);
		assertThat(((Number) first.summary().field("deleted")).longValue()).isZero();
		List<byte[]> removed = new ArrayList<>();
		for (int i = 0; i < a.size(); i += 10) {
			removed.add(a.get(i));
		}
		assertThat(source.binarySync().del(removed.toArray(byte[][]::new))).isEqualTo(removed.size());
		return removed;
	}

	private KeyferryProcess start(KeyferryProcess.Builder builder, RedisServer source, RedisServer target) {
		// small pages: the deletes take several commits
		return this.processes.start(builder, "copy", "--source", source.uri(), "--target", target.uri(), "--match",
				"a:*", "--delete-missing", "--scan-count", "50", "--json", "--progress", "off");
	}

	private long deleted(long executionId) {
		KeyferryProcess show = this.processes.start(KeyferryProcess.in(this.home), "show", Long.toString(executionId),
				"--json");
		assertThat(show.waitFor(RUN_TIMEOUT)).as(show::describe).isEqualTo(0);
		return JsonDocument.number(JsonDocument.object(show.stdout()), "deleted");
	}

	private static void assertUntouchedOutsideTheFilter(RedisServer target) {
		assertThat(target.sync().keys("b:*")).hasSize(300);
		assertThat(target.sync().keys("c:*")).hasSize(200);
	}

	/**
	 * The {@code a:*} keyspaces are the same: every source key is in the target with its
	 * value and TTL, and no removed key is left.
	 */
	private static void assertSameFilteredKeyspace(RedisServer source, RedisServer target, List<byte[]> removed) {
		KeyspaceComparison comparison = KeyspaceComparison.compare(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.DEFAULT_TTL_TOLERANCE, (key) -> (key.array()[0] == 'a') ? key : null);
		List<KeyspaceComparison.Difference> inFilter = comparison.differences()
			.stream()
			.filter((difference) -> difference.key()[0] == 'a')
			.toList();
		assertThat(inFilter).as(comparison::report).isEmpty();
		Set<ByteBuffer> left = new HashSet<>();
		for (byte[] key : removed) {
			if (target.binarySync().exists(key) > 0) {
				left.add(ByteBuffer.wrap(key));
			}
		}
		assertThat(left).isEmpty();
		assertThat(target.sync().keys("a:*")).hasSize(source.sync().keys("a:*").size());
	}

}
