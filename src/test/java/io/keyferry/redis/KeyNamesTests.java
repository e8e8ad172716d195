package io.keyferry.redis;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link KeyNames}.
 */
class KeyNamesTests {

	@Test
	void keepsPrintableAscii() {
		assertThat(KeyNames.escape(ascii("user:42 {tag} ~!@#$%^&*()"))).isEqualTo("user:42 {tag} ~!@#$%^&*()");
	}

	@Test
	void escapesBackslashAndQuote() {
		assertThat(KeyNames.escape(ascii("a\\b\"c"))).isEqualTo("a\\\\b\\\"c");
	}

	@Test
	void escapesEveryOtherByteAsHex() {
		byte[] key = { 'k', ':', 0x00, (byte) 0xff, '\n', 0x7f, 0x1f, (byte) 0xc3, (byte) 0xa9 };

		assertThat(KeyNames.escape(key)).isEqualTo("k:\\x00\\xff\\x0a\\x7f\\x1f\\xc3\\xa9");
	}

	@Test
	void isUnambiguous() {
		byte[] zeroByte = { 'k', 0x00 };
		byte[] escapedLookalike = ascii("k\\x00");

		assertThat(KeyNames.escape(zeroByte)).isNotEqualTo(KeyNames.escape(escapedLookalike));
		assertThat(KeyNames.escape(escapedLookalike)).isEqualTo("k\\\\x00");
	}

	@Test
	void emptyKeyIsEmpty() {
		assertThat(KeyNames.escape(new byte[0])).isEmpty();
	}

	private static byte[] ascii(String value) {
		return value.getBytes(StandardCharsets.US_ASCII);
	}

}
