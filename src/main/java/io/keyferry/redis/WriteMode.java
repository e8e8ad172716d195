package io.keyferry.redis;

import java.util.Locale;

/**
 * How keys are written ({@code --write-mode}): with {@code RESTORE} of their DUMP
 * payload, or type by type with the type's own commands ({@link TypeWriter}), which any
 * Redis reads whatever its RDB format.
 */
public enum WriteMode {

	/**
	 * {@code RESTORE} only: a payload the target cannot read is skipped with its reason.
	 */
	RESTORE,

	/** Every key type by type. */
	TYPES,

	/**
	 * {@code RESTORE}, and type by type for each key whose payload the target cannot read
	 * (known from the versions before writing, or from {@code RESTORE}'s reply).
	 */
	AUTO;

	/**
	 * Whether a copy in this mode may write keys type by type: always for {@link #TYPES},
	 * never for {@link #RESTORE}, and for {@link #AUTO} when the target reads an older
	 * RDB format than the source writes, or either version is unknown. Only then are the
	 * type commands needed (and probed).
	 * @param sourceVersion the source's Redis version, {@code null} when unknown
	 * @param targetVersion the target's Redis version, {@code null} when unknown
	 * @return whether keys may be written type by type
	 */
	public boolean mayWriteByTypes(String sourceVersion, String targetVersion) {
		return switch (this) {
			case TYPES -> true;
			case RESTORE -> false;
			case AUTO -> {
				var source = RdbVersion.ofRedisVersion(sourceVersion);
				var target = RdbVersion.ofRedisVersion(targetVersion);
				yield source.isEmpty() || target.isEmpty() || source.getAsInt() > target.getAsInt();
			}
		};
	}

	public String id() {
		return name().toLowerCase(Locale.ROOT);
	}

	public static WriteMode of(String id) {
		return valueOf(id.toUpperCase(Locale.ROOT));
	}

}
