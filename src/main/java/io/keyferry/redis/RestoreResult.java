package io.keyferry.redis;

/**
 * What became of one key.
 *
 * @param dump the key's dump
 * @param outcome written, filtered or skipped
 * @param reason why it was skipped, {@code null} otherwise
 * @param detail the target's reply for a skip, {@code null} otherwise
 */
public record RestoreResult(KeyDump dump, Outcome outcome, SkipReason reason, String detail) {

	/** The three ends of a key: every read key has exactly one. */
	public enum Outcome {

		/** Restored in the target (or, in a dry run, would be). */
		WRITTEN,

		/**
		 * Gone from the source, or expired, before it could be written: never written.
		 */
		FILTERED,

		/** Not written for a recorded reason. */
		SKIPPED

	}

	static RestoreResult written(KeyDump dump) {
		return new RestoreResult(dump, Outcome.WRITTEN, null, null);
	}

	static RestoreResult filtered(KeyDump dump) {
		return new RestoreResult(dump, Outcome.FILTERED, null, null);
	}

	static RestoreResult skipped(KeyDump dump, SkipReason reason, String detail) {
		return new RestoreResult(dump, Outcome.SKIPPED, reason, detail);
	}

}
