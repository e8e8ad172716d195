package io.keyferry.redis;

/**
 * How a key of the target differs from the source's, as {@code keyferry verify} reports
 * it.
 */
public enum DifferenceKind {

	/** The source has the key, the target does not. */
	MISSING("missing"),

	/** Both have the key, with different types. */
	TYPE("different-type"),

	/** Both have the key with the same type and different contents. */
	VALUE("different-value"),

	/** Same value, expiries further apart than the tolerance (or one persistent). */
	TTL("different-ttl"),

	/** The target has a key of the filter that the source lacks. */
	EXTRA("extra");

	private final String id;

	DifferenceKind(String id) {
		this.id = id;
	}

	/**
	 * The kind's name in the job repository and in reports.
	 * @return e.g. {@code different-value}
	 */
	public String id() {
		return this.id;
	}

	/**
	 * The kind of an id.
	 * @param id e.g. {@code missing}
	 * @return the kind
	 * @throws IllegalArgumentException for an unknown id
	 */
	public static DifferenceKind of(String id) {
		for (DifferenceKind kind : values()) {
			if (kind.id.equals(id)) {
				return kind;
			}
		}
		throw new IllegalArgumentException("unknown difference kind " + id);
	}

}
