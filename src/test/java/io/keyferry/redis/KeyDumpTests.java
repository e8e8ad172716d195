package io.keyferry.redis;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link KeyDump}: the expiry handed to {@code RESTORE … ABSTTL}.
 */
class KeyDumpTests {

	private static final long NOW = 1_700_000_000_000L;

	private static final byte[] KEY = { 'k' };

	private static final byte[] PAYLOAD = { 0, 1, 'v', 10, 0, 1, 2, 3, 4, 5, 6, 7, 8 };

	@Test
	void persistentKeyStaysPersistentHoweverLateItIsWritten() {
		KeyDump dump = new KeyDump(KEY, PAYLOAD, KeyDump.PERSISTENT);

		assertThat(dump.restoreExpiry(NOW, 0)).isZero();
		assertThat(dump.restoreExpiry(NOW + 3_600_000, -5_000)).isZero();
	}

	@Test
	void volatileKeyKeepsItsAbsoluteExpiryInTheTargetsClock() {
		KeyDump dump = new KeyDump(KEY, PAYLOAD, NOW + 10_000);

		assertThat(dump.restoreExpiry(NOW, 0)).isEqualTo(NOW + 10_000);
		assertThat(dump.restoreExpiry(NOW, 2_500)).as("target clock ahead").isEqualTo(NOW + 12_500);
		assertThat(dump.restoreExpiry(NOW, -2_500)).as("target clock behind").isEqualTo(NOW + 7_500);
	}

	@Test
	void writingLaterNeitherExtendsNorShortensTheKeysLife() {
		KeyDump dump = new KeyDump(KEY, PAYLOAD, NOW + 5_000);

		assertThat(dump.restoreExpiry(NOW + 1, 0)).isEqualTo(NOW + 5_000);
		assertThat(dump.restoreExpiry(NOW + 1_200, 0)).isEqualTo(NOW + 5_000);
		assertThat(dump.restoreExpiry(NOW + 4_999, 0)).isEqualTo(NOW + 5_000);
	}

	@Test
	void runOutExpiryIsExpiredNeverPersistent() {
		KeyDump dump = new KeyDump(KEY, PAYLOAD, NOW + 100);

		assertThat(dump.restoreExpiry(NOW + 99, 0)).isEqualTo(NOW + 100);
		assertThat(dump.restoreExpiry(NOW + 100, 0)).isEqualTo(KeyDump.EXPIRED).isEqualTo(-1);
		assertThat(dump.restoreExpiry(NOW + 150, 0)).isEqualTo(KeyDump.EXPIRED);
	}

	@Test
	void volatileKeyNeverGetsThePersistentExpiry() {
		List<String> wrong = new ArrayList<>();
		long[] offsets = { 0, 1, -1, 3_600_000, -3_600_000, -NOW, -NOW - 1, Long.MIN_VALUE / 4 };
		for (long left = -200; left <= 200; left++) {
			KeyDump dump = new KeyDump(KEY, PAYLOAD, NOW + left);
			for (long offset : offsets) {
				long expiry = dump.restoreExpiry(NOW, offset);
				if (expiry == 0 || (left <= 0 && expiry != KeyDump.EXPIRED) || (left > 0 && expiry < 1)) {
					wrong.add(left + " ms left, offset " + offset + " gave " + expiry);
				}
			}
		}
		assertThat(wrong).isEmpty();
	}

	@Test
	void keyGoneFromTheSourceDoesNotExist() {
		assertThat(new KeyDump(KEY, null, KeyDump.GONE).exists()).isFalse();
		assertThat(new KeyDump(KEY, PAYLOAD, KeyDump.GONE).exists()).as("deleted between DUMP and its expiry")
			.isFalse();
		assertThat(new KeyDump(KEY, null, NOW).exists()).as("deleted and recreated between DUMP and its expiry")
			.isFalse();
		assertThat(new KeyDump(KEY, PAYLOAD, KeyDump.PERSISTENT).exists()).isTrue();
		assertThat(new KeyDump(KEY, PAYLOAD, NOW).exists()).isTrue();
	}

	@Test
	void sizeIsThePayloadLength() {
		assertThat(new KeyDump(KEY, PAYLOAD, KeyDump.PERSISTENT).size()).isEqualTo(PAYLOAD.length);
		assertThat(new KeyDump(KEY, null, KeyDump.GONE).size()).isZero();
	}

	@Test
	void aBigValueExistsWithoutPayloadAndKeepsItsExpiry() {
		KeyDump big = KeyDump.big(KEY, NOW + 10_000, 100L * 1024 * 1024);

		assertThat(big.isBig()).isTrue();
		assertThat(big.exists()).isTrue();
		assertThat(big.payload()).isNull();
		assertThat(big.size()).as("payload bytes kept in memory").isZero();
		assertThat(big.restoreExpiry(NOW, 0)).isEqualTo(NOW + 10_000);
		assertThat(KeyDump.big(KEY, KeyDump.PERSISTENT, 1).restoreExpiry(NOW, 0)).isZero();
		assertThat(new KeyDump(KEY, PAYLOAD, KeyDump.PERSISTENT).isBig()).isFalse();
		assertThat(KeyDump.deferred(KEY).isBig()).isFalse();
	}

}
