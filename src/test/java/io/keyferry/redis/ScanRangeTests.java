package io.keyferry.redis;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

/**
 * Tests for {@link ScanRange}. Redis's SCAN is simulated for a table that does not
 * resize: the cursor is a bucket index, and the next cursor increments its bit-reversed
 * value (dictScan's {@code v |= ~mask; v = rev(v); v++; v = rev(v)}).
 */
class ScanRangeTests {

	@Test
	void wholeSpaceStartsAtZeroAndEndsOnlyAtZero() {
		assertThat(ScanRange.ALL.startCursor()).isZero();
		assertThat(ScanRange.ALL.isEnd(0)).isTrue();
		for (long cursor : new long[] { 1, 2, 3, 1024, Long.MAX_VALUE, Long.MIN_VALUE, -1 }) {
			assertThat(ScanRange.ALL.isEnd(cursor)).as("cursor %s", Long.toUnsignedString(cursor)).isFalse();
		}
	}

	@Test
	void fourRangesStartAtTheFirstBucketOfEachQuarterInScanOrder() {
		// reverse-binary order of a 4-bucket table: 0, 2, 1, 3
		assertThat(startCursors(4)).containsExactly(0L, 2L, 1L, 3L);
	}

	@Test
	void fourRangesEndWhereTheNextRangeBegins() {
		ScanRange first = new ScanRange(0, 4);
		ScanRange second = new ScanRange(1, 4);
		ScanRange third = new ScanRange(2, 4);
		ScanRange last = new ScanRange(3, 4);

		assertThat(first.isEnd(4)).as("bucket 4 of 8 is in the first quarter").isFalse();
		assertThat(first.isEnd(2)).as("bucket 2 starts the second quarter").isTrue();
		assertThat(first.isEnd(6)).as("bucket 6 of 8 is in the second quarter").isTrue();
		assertThat(second.isEnd(6)).isFalse();
		assertThat(second.isEnd(1)).isTrue();
		assertThat(third.isEnd(5)).isFalse();
		assertThat(third.isEnd(3)).isTrue();
		assertThat(last.isEnd(7)).isFalse();
		assertThat(last.isEnd(-1)).as("the last bucket of any table is in the last quarter").isFalse();
		for (ScanRange range : List.of(first, second, third, last)) {
			assertThat(range.isEnd(0)).as("a SCAN that wrapped around ends %s", range).isTrue();
		}
	}

	@ParameterizedTest
	@ValueSource(ints = { 1, 2, 4, 8 })
	void powerOfTwoRangesVisitEveryBucketExactlyOnce(int count) {
		for (int bits = 0; bits <= 12; bits++) {
			int[] visits = visitAll(count, 1 << bits);
			for (int bucket = 0; bucket < visits.length; bucket++) {
				int expected = (count <= visits.length) ? 1 : count / visits.length;
				assertThat(visits[bucket]).as("visits of bucket %d of %d with %d ranges", bucket, visits.length, count)
					.isEqualTo(expected);
			}
		}
	}

	@ParameterizedTest
	@ValueSource(ints = { 3, 5, 6, 7 })
	void otherRangeCountsVisitEveryBucketAtLeastOnce(int count) {
		for (int bits = 0; bits <= 12; bits++) {
			int[] visits = visitAll(count, 1 << bits);
			int twice = 0;
			for (int bucket = 0; bucket < visits.length; bucket++) {
				assertThat(visits[bucket]).as("visits of bucket %d of %d with %d ranges", bucket, visits.length, count)
					.isPositive();
				twice += visits[bucket] - 1;
			}
			assertThat(twice).as("buckets visited by two ranges").isLessThanOrEqualTo(count);
		}
	}

	@Test
	void fractionGrowsMonotonicallyFromZeroThroughTheWholeSpace() {
		int size = 1 << 10;
		double previous = -1;
		long cursor = 0;
		do {
			double fraction = ScanRange.ALL.fraction(cursor);
			assertThat(fraction).isBetween(0.0, 1.0).isGreaterThan(previous);
			previous = fraction;
			cursor = next(cursor, size - 1);
		}
		while (cursor != 0);
		assertThat(ScanRange.ALL.fraction(0)).isZero();
		assertThat(previous).isCloseTo(1.0, within(2.0 / size));
	}

	@Test
	void fractionGrowsMonotonicallyWithinEachRange() {
		int size = 1 << 10;
		for (int index = 0; index < 4; index++) {
			ScanRange range = new ScanRange(index, 4);
			long cursor = range.startCursor();
			assertThat(range.fraction(cursor)).isZero();
			double previous = -1;
			int steps = 0;
			while (true) {
				double fraction = range.fraction(cursor);
				assertThat(fraction).as("%s at cursor %d", range, cursor).isBetween(0.0, 1.0).isGreaterThan(previous);
				previous = fraction;
				long next = next(cursor, size - 1);
				steps++;
				if (range.isEnd(next)) {
					break;
				}
				cursor = next;
			}
			assertThat(steps).isEqualTo(size / 4);
			assertThat(previous).isGreaterThan(0.99).isLessThan(1.0);
		}
	}

	@Test
	void rejectsInvalidRanges() {
		assertThatIllegalArgumentException().isThrownBy(() -> new ScanRange(0, 0));
		assertThatIllegalArgumentException().isThrownBy(() -> new ScanRange(4, 4));
		assertThatIllegalArgumentException().isThrownBy(() -> new ScanRange(-1, 4));
	}

	private static List<Long> startCursors(int count) {
		List<Long> cursors = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			cursors.add(new ScanRange(i, count).startCursor());
		}
		return cursors;
	}

	/** Scans every range of {@code count} over a table of {@code size} buckets. */
	private static int[] visitAll(int count, int size) {
		int[] visits = new int[size];
		long mask = size - 1;
		for (int index = 0; index < count; index++) {
			ScanRange range = new ScanRange(index, count);
			long cursor = range.startCursor();
			for (int steps = 0;; steps++) {
				assertThat(steps).as("%s over %d buckets ends", range, size).isLessThanOrEqualTo(size);
				visits[(int) (cursor & mask)]++;
				long next = next(cursor, mask);
				if (range.isEnd(next)) {
					break;
				}
				cursor = next;
			}
		}
		return visits;
	}

	private static long next(long cursor, long mask) {
		long v = cursor | ~mask;
		v = Long.reverse(v);
		v++;
		return Long.reverse(v);
	}

}
