package io.keyferry.redis;

import java.util.Locale;

/** What to do when a key already exists in the target. */
public enum ConflictPolicy {

	/**
	 * Overwrite it (RESTORE … REPLACE): writes are idempotent, resumes re-copy safely.
	 */
	REPLACE,

	/** Keep the target's key and record a skip with reason {@code exists}. */
	SKIP,

	/** Stop the run at the first existing key. */
	FAIL;

	public String id() {
		return name().toLowerCase(Locale.ROOT);
	}

	public static ConflictPolicy of(String id) {
		return valueOf(id.toUpperCase(Locale.ROOT));
	}

}
