package io.keyferry.redis;

import java.util.OptionalInt;

/**
 * RDB format versions: a DUMP payload carries the version of the server that made it, and
 * RESTORE refuses a payload newer than its own server's format.
 */
public final class RdbVersion {

	private RdbVersion() {
	}

	/**
	 * The RDB version written in a DUMP payload (two little-endian bytes before the
	 * CRC64).
	 * @param payload the DUMP payload
	 * @return the version, or -1 when the payload is too short
	 */
	public static int ofPayload(byte[] payload) {
		if (payload == null || payload.length < 10) {
			return -1;
		}
		int at = payload.length - 10;
		return (payload[at] & 0xff) | ((payload[at + 1] & 0xff) << 8);
	}

	/**
	 * The RDB version a Redis release writes.
	 * @param redisVersion e.g. {@code 7.0.15}
	 * @return the version, empty when unknown
	 */
	public static OptionalInt ofRedisVersion(String redisVersion) {
		if (redisVersion == null) {
			return OptionalInt.empty();
		}
		String[] parts = redisVersion.split("\\.");
		try {
			int major = Integer.parseInt(parts[0]);
			int minor = (parts.length > 1) ? Integer.parseInt(parts[1]) : 0;
			int v = major * 100 + minor;
			if (v >= 704) {
				return OptionalInt.of(12);
			}
			if (v >= 702) {
				return OptionalInt.of(11);
			}
			if (v >= 700) {
				return OptionalInt.of(10);
			}
			if (v >= 500) {
				return OptionalInt.of(9);
			}
			if (v >= 400) {
				return OptionalInt.of(8);
			}
			if (v >= 302) {
				return OptionalInt.of(7);
			}
			return OptionalInt.of(6);
		}
		catch (NumberFormatException ex) {
			return OptionalInt.empty();
		}
	}

}
