package io.keyferry.redis;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests of {@link KeyGlob}: the glob forms {@code SCAN MATCH} knows, matched as Redis
 * matches them.
 */
class KeyGlobTests {

	@Test
	void starMatchesAnyRunOfBytes() {
		assertThat(matches("a:*", "a:")).isTrue();
		assertThat(matches("a:*", "a:1:2")).isTrue();
		assertThat(matches("a:*", "b:1")).isFalse();
		assertThat(matches("*:x", "a:b:x")).isTrue();
		assertThat(matches("*:x", "a:b:y")).isFalse();
		assertThat(matches("a**b", "ab")).isTrue();
		assertThat(matches(null, "anything")).isTrue();
		assertThat(matches("*", "")).isTrue();
	}

	@Test
	void questionMarkAndClassesMatchOneByte() {
		assertThat(matches("h?llo", "hello")).isTrue();
		assertThat(matches("h?llo", "hllo")).isFalse();
		assertThat(matches("h[ae]llo", "hallo")).isTrue();
		assertThat(matches("h[ae]llo", "hillo")).isFalse();
		assertThat(matches("h[^e]llo", "hallo")).isTrue();
		assertThat(matches("h[^e]llo", "hello")).isFalse();
		assertThat(matches("h[a-c]llo", "hbllo")).isTrue();
		assertThat(matches("h[c-a]llo", "hbllo")).isTrue();
		assertThat(matches("h[a-c]llo", "hdllo")).isFalse();
	}

	@Test
	void backslashEscapesASpecialByte() {
		assertThat(matches("a\\*", "a*")).isTrue();
		assertThat(matches("a\\*", "ab")).isFalse();
		assertThat(matches("[\\]]", "]")).isTrue();
	}

	@Test
	void binaryKeysAreComparedByteByByte() {
		byte[] key = { 'k', ':', (byte) 0xff, 0 };
		assertThat(new KeyGlob("k:*").matches(key)).isTrue();
		assertThat(new KeyGlob("k:??").matches(key)).isTrue();
		assertThat(new KeyGlob("k:?").matches(key)).isFalse();
	}

	private static boolean matches(String glob, String key) {
		return new KeyGlob(glob).matches(key.getBytes(StandardCharsets.UTF_8));
	}

}
