package io.keyferry.redis;

/**
 * The outcome of comparing one key of the source with the target.
 *
 * @param key the key (the source's name; for {@link DifferenceKind#EXTRA} the target's)
 * @param outcome equal, gone from the source, or different
 * @param kind how it differs, {@code null} unless different
 * @param detail what differs, for people, {@code null} unless different
 */
public record KeyVerdict(byte[] key, Outcome outcome, DifferenceKind kind, String detail) {

	/** What a comparison found. */
	public enum Outcome {

		/** The target holds the same value and expiry. */
		EQUAL,

		/** The source no longer has the key: there is nothing to compare. */
		GONE,

		/** The target differs ({@link #kind()} says how). */
		DIFFERENT

	}

	public static KeyVerdict equal(byte[] key) {
		return new KeyVerdict(key, Outcome.EQUAL, null, null);
	}

	public static KeyVerdict gone(byte[] key) {
		return new KeyVerdict(key, Outcome.GONE, null, null);
	}

	public static KeyVerdict different(byte[] key, DifferenceKind kind, String detail) {
		return new KeyVerdict(key, Outcome.DIFFERENT, kind, detail);
	}

	public boolean isDifferent() {
		return this.outcome == Outcome.DIFFERENT;
	}

}
