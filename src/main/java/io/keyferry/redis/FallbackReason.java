package io.keyferry.redis;

import java.util.Locale;

/** Why a key was written type by type ({@link TypeWriter}) instead of with RESTORE. */
public enum FallbackReason {

	/**
	 * The payload's RDB format is newer than the target's, known before writing from the
	 * target's version.
	 */
	OLDER_TARGET,

	/** {@code RESTORE} answered "DUMP payload version or checksum are wrong". */
	REJECTED,

	/** {@code --write-mode types}: every key. */
	WRITE_MODE,

	/**
	 * A value too big for its batch's byte budget: copied in pieces rather than DUMPed
	 * whole (see {@link DumpFetcher}).
	 */
	BIG_VALUE;

	/**
	 * The reason as shown and stored.
	 * @return e.g. {@code older-target}
	 */
	public String id() {
		return name().toLowerCase(Locale.ROOT).replace('_', '-');
	}

}
