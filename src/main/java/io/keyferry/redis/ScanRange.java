package io.keyferry.redis;

/**
 * One slice of a server's SCAN cursor space. Redis visits hash buckets in reverse-binary
 * cursor order, so slices of the bit-reversed cursor space cover disjoint sets of buckets
 * at every table size; a slice ends when the next cursor's reversed value leaves it. A
 * key may be returned by two slices while the table grows or shrinks (at least once,
 * never missed). Immutable.
 *
 * @param index the slice, from 0
 * @param count the number of slices
 */
public record ScanRange(int index, int count) {

	/** The whole cursor space. */
	public static final ScanRange ALL = new ScanRange(0, 1);

	public ScanRange {
		if (count < 1 || index < 0 || index >= count) {
			throw new IllegalArgumentException("invalid scan range " + index + "/" + count);
		}
	}

	/**
	 * The cursor this slice starts with.
	 * @return the cursor (unsigned)
	 */
	public long startCursor() {
		return Long.reverse(lowerBound());
	}

	/**
	 * Whether a cursor returned by SCAN ends this slice.
	 * @param nextCursor the cursor SCAN returned
	 * @return true when the slice is done
	 */
	public boolean isEnd(long nextCursor) {
		if (nextCursor == 0) {
			return true;
		}
		if (this.index == this.count - 1) {
			return false;
		}
		return Long.compareUnsigned(Long.reverse(nextCursor), upperBound()) >= 0;
	}

	/**
	 * How far into this slice a cursor is, for progress reporting.
	 * @param cursor a cursor of this slice
	 * @return a fraction between 0 and 1
	 */
	public double fraction(long cursor) {
		double lower = unsigned(lowerBound());
		double upper = (this.index == this.count - 1) ? 0x1p64 : unsigned(upperBound());
		double position = unsigned(Long.reverse(cursor));
		double fraction = (position - lower) / (upper - lower);
		return Math.max(0, Math.min(1, fraction));
	}

	private long lowerBound() {
		return bound(this.index);
	}

	private long upperBound() {
		return bound(this.index + 1);
	}

	private long bound(int i) {
		if (i == 0) {
			return 0;
		}
		// i * 2^64 / count, computed without overflow
		return java.math.BigInteger.valueOf(i)
			.shiftLeft(64)
			.add(java.math.BigInteger.valueOf(this.count - 1))
			.divide(java.math.BigInteger.valueOf(this.count))
			.longValue();
	}

	private static double unsigned(long value) {
		double d = (double) (value >>> 1) * 2.0;
		return d + (value & 1);
	}

}
