package io.keyferry.redis;

import java.util.Locale;

/** Why a key was not written; every skip is recorded with its key and reason. */
public enum SkipReason {

	/** The key exists in the target and the conflict policy is {@code skip}. */
	EXISTS,

	/** The target rejected the payload (bad data, unknown module type …). */
	REJECTED,

	/** The payload is larger than {@code --max-value-bytes}. */
	TOO_LARGE,

	/** Any other per-key error reply. */
	OTHER;

	/**
	 * The reason as shown and stored.
	 * @return e.g. {@code too-large}
	 */
	public String id() {
		return name().toLowerCase(Locale.ROOT).replace('_', '-');
	}

	public static SkipReason of(String id) {
		return valueOf(id.toUpperCase(Locale.ROOT).replace('-', '_'));
	}

}
