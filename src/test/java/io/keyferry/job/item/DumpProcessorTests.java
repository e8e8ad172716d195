package io.keyferry.job.item;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.keyferry.redis.KeyDump;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the byte budget of {@link DumpProcessor}: payloads are kept in read order
 * while they fit, the others are deferred (released, written one at a time by the
 * writer).
 */
class DumpProcessorTests {

	@Test
	void keepsPayloadsThatFitAndDefersTheRest() {
		List<KeyDump> dumps = List.of(dump("a", 40), dump("b", 50), dump("c", 10), dump("gone", 0), dump("d", 200));

		List<KeyDump> kept = DumpProcessor.withinBudget(dumps, 100);

		assertThat(kept).extracting((d) -> new String(d.key(), StandardCharsets.UTF_8))
			.containsExactly("a", "b", "c", "gone", "d");
		assertThat(kept.subList(0, 4)).containsExactlyElementsOf(dumps.subList(0, 4));
		assertThat(kept.get(4).isDeferred()).isTrue();
		assertThat(kept.get(4).payload()).isNull();
		assertThat(kept.stream().mapToLong(KeyDump::size).sum()).isLessThanOrEqualTo(100);
	}

	@Test
	void aSingleValueLargerThanTheBudgetIsDeferred() {
		List<KeyDump> kept = DumpProcessor.withinBudget(List.of(dump("huge", 1000)), 100);

		assertThat(kept).singleElement().satisfies((d) -> assertThat(d.isDeferred()).isTrue());
	}

	@Test
	void batchWithinBudgetIsReturnedAsIs() {
		List<KeyDump> dumps = List.of(dump("a", 10), dump("b", 10));

		assertThat(DumpProcessor.withinBudget(dumps, 100)).isSameAs(dumps);
	}

	@Test
	void aDeferredKeyKeepsTheIdleTimeOrFrequencyReadBeforeItsDump() {
		KeyDump idle = new KeyDump(bytes("idle"), new byte[200], KeyDump.PERSISTENT, 1000, KeyDump.UNTRACKED);
		KeyDump frequent = new KeyDump(bytes("frequent"), new byte[200], KeyDump.PERSISTENT, KeyDump.UNTRACKED, 42);

		List<KeyDump> kept = DumpProcessor.withinBudget(List.of(idle, frequent), 100);

		assertThat(kept).allSatisfy((d) -> assertThat(d.isDeferred()).isTrue());
		assertThat(kept.get(0).idleSeconds()).isEqualTo(1000);
		assertThat(kept.get(1).frequency()).isEqualTo(42);
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	private static KeyDump dump(String key, int size) {
		byte[] payload = (size > 0) ? new byte[size] : null;
		return new KeyDump(key.getBytes(StandardCharsets.UTF_8), payload,
				(size > 0) ? KeyDump.PERSISTENT : KeyDump.GONE);
	}

}
