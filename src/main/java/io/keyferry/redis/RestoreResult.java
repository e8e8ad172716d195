package io.keyferry.redis;

/**
 * What became of one key.
 *
 * @param dump the key's dump (without its payload for a key written on its own after
 * being deferred)
 * @param outcome written, filtered or skipped
 * @param reason why it was skipped, {@code null} otherwise
 * @param detail the target's reply for a skip, {@code null} otherwise
 * @param bytes the payload bytes written, 0 unless written
 * @param fallback why a written key was written type by type, {@code null} when it was
 * restored from its payload
 */
public record RestoreResult(KeyDump dump, Outcome outcome, SkipReason reason, String detail, long bytes,
		FallbackReason fallback) {

	public RestoreResult(KeyDump dump, Outcome outcome, SkipReason reason, String detail, long bytes) {
		this(dump, outcome, reason, detail, bytes, null);
	}

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
		return new RestoreResult(dump, Outcome.WRITTEN, null, null, dump.size());
	}

	static RestoreResult writtenByTypes(KeyDump dump, FallbackReason reason) {
		return new RestoreResult(dump, Outcome.WRITTEN, null, null, dump.size(), reason);
	}

	static RestoreResult writtenInPieces(KeyDump dump) {
		return new RestoreResult(dump, Outcome.WRITTEN, null, null, dump.bigBytes(), FallbackReason.BIG_VALUE);
	}

	static RestoreResult filtered(KeyDump dump) {
		return new RestoreResult(dump, Outcome.FILTERED, null, null, 0);
	}

	static RestoreResult skipped(KeyDump dump, SkipReason reason, String detail) {
		return new RestoreResult(dump, Outcome.SKIPPED, reason, detail, 0);
	}

	/**
	 * The same result without the payload, so that a large value written on its own is
	 * not kept.
	 * @return the result
	 */
	RestoreResult released() {
		if (this.dump.payload() == null) {
			return this;
		}
		return new RestoreResult(new KeyDump(this.dump.key(), null, this.dump.expireAt(), this.dump.idleSeconds(),
				this.dump.frequency(), this.dump.bigBytes()), this.outcome, this.reason, this.detail, this.bytes,
				this.fallback);
	}

}
