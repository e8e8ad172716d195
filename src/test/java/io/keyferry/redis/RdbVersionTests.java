package io.keyferry.redis;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link RdbVersion}.
 */
class RdbVersionTests {

	@Test
	void readsTheVersionFromThePayloadTrailer() {
		// DUMP of SET k v on Redis 7.0: type 0, the string "v", RDB version 10, CRC64
		byte[] redis70 = { 0x00, 0x01, 'v', 0x0a, 0x00, 0x12, 0x34, 0x56, 0x78, (byte) 0x9a, (byte) 0xbc, (byte) 0xde,
				(byte) 0xf0 };

		assertThat(RdbVersion.ofPayload(redis70)).isEqualTo(10);
		assertThat(RdbVersion.ofPayload(payload(9))).isEqualTo(9);
		assertThat(RdbVersion.ofPayload(payload(11))).isEqualTo(11);
		assertThat(RdbVersion.ofPayload(payload(12))).isEqualTo(12);
	}

	@Test
	void versionIsLittleEndian() {
		assertThat(RdbVersion.ofPayload(payload(0x0201))).isEqualTo(0x0201);
		byte[] payload = payload(0x0201);
		assertThat(payload[payload.length - 10]).isEqualTo((byte) 0x01);
	}

	@Test
	void payloadTooShortForATrailerHasNoVersion() {
		assertThat(RdbVersion.ofPayload(null)).isEqualTo(-1);
		assertThat(RdbVersion.ofPayload(new byte[0])).isEqualTo(-1);
		assertThat(RdbVersion.ofPayload(new byte[9])).isEqualTo(-1);
		assertThat(RdbVersion.ofPayload(new byte[10])).isZero();
	}

	@Test
	void mapsRedisReleasesToTheirRdbVersion() {
		assertThat(RdbVersion.ofRedisVersion("3.0.7")).hasValue(6);
		assertThat(RdbVersion.ofRedisVersion("3.2.12")).hasValue(7);
		assertThat(RdbVersion.ofRedisVersion("4.0.14")).hasValue(8);
		assertThat(RdbVersion.ofRedisVersion("5.0.14")).hasValue(9);
		assertThat(RdbVersion.ofRedisVersion("6.0.20")).hasValue(9);
		assertThat(RdbVersion.ofRedisVersion("6.2.14")).hasValue(9);
		assertThat(RdbVersion.ofRedisVersion("7.0.15")).hasValue(10);
		assertThat(RdbVersion.ofRedisVersion("7.2.4")).hasValue(11);
		assertThat(RdbVersion.ofRedisVersion("7.4.1")).hasValue(12);
		assertThat(RdbVersion.ofRedisVersion("8.0.2")).hasValue(12);
		assertThat(RdbVersion.ofRedisVersion("7")).hasValue(10);
	}

	@Test
	void unknownVersionHasNoRdbVersion() {
		assertThat(RdbVersion.ofRedisVersion(null)).isEmpty();
		assertThat(RdbVersion.ofRedisVersion("")).isEmpty();
		assertThat(RdbVersion.ofRedisVersion("unstable")).isEmpty();
	}

	@Test
	void olderTargetReadsAnOlderFormatThanItsSource() {
		int source = RdbVersion.ofRedisVersion("7.0.15").getAsInt();
		int target = RdbVersion.ofRedisVersion("6.2.6").getAsInt();

		assertThat(source).isGreaterThan(target);
	}

	private static byte[] payload(int version) {
		byte[] payload = { 0x00, 0x03, 'a', 'b', 'c', 0, 0, 1, 2, 3, 4, 5, 6, 7, 8 };
		int at = payload.length - 10;
		payload[at] = (byte) version;
		payload[at + 1] = (byte) (version >> 8);
		return payload;
	}

}
