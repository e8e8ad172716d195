package io.keyferry.redis;

import java.util.Locale;

/**
 * Which node of a Redis Cluster source a partition scans: the master that serves its
 * slots, or a replica of that master ({@code READONLY}), which spares the master the
 * SCAN, DUMP and PTTL load but may lag behind it.
 */
public enum ReadFrom {

	/** The master that serves the partition's slots. */
	MASTER,

	/**
	 * A replica of that master whose link to it is up; the master when it has none.
	 */
	REPLICA;

	public String id() {
		return name().toLowerCase(Locale.ROOT);
	}

	/**
	 * Parses {@code master} or {@code replica}.
	 * @param id the name, any case
	 * @return the choice
	 * @throws IllegalArgumentException for another name
	 */
	public static ReadFrom of(String id) {
		return valueOf(id.toUpperCase(Locale.ROOT));
	}

}
