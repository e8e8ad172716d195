package io.keyferry.redis;

import java.nio.charset.StandardCharsets;

/**
 * A {@code SCAN MATCH} glob matched in the client, as Redis matches it
 * ({@code stringmatchlen}: {@code *}, {@code ?}, {@code [abc]}, {@code [^a-z]}, {@code \}
 * escapes), byte by byte. Used where the server cannot filter: a target's keys whose
 * source names differ ({@code --rename-prefix}). Immutable and thread-safe.
 */
public final class KeyGlob {

	private final byte[] pattern;

	/**
	 * Creates a glob.
	 * @param pattern the glob, {@code null} or empty for every key
	 */
	public KeyGlob(String pattern) {
		this.pattern = (pattern != null && !pattern.isEmpty()) ? pattern.getBytes(StandardCharsets.UTF_8)
				: new byte[] { '*' };
	}

	/**
	 * Whether a key matches.
	 * @param key the key's bytes
	 * @return true when the glob matches the whole key
	 */
	public boolean matches(byte[] key) {
		return match(this.pattern, 0, key, 0);
	}

	private static boolean match(byte[] p, int pi, byte[] s, int si) {
		while (pi < p.length) {
			switch (p[pi]) {
				case '*' -> {
					while (pi + 1 < p.length && p[pi + 1] == '*') {
						pi++;
					}
					if (pi + 1 == p.length) {
						return true;
					}
					for (int from = si; from <= s.length; from++) {
						if (match(p, pi + 1, s, from)) {
							return true;
						}
					}
					return false;
				}
				case '?' -> {
					if (si >= s.length) {
						return false;
					}
					si++;
				}
				case '[' -> {
					if (si >= s.length) {
						return false;
					}
					pi++;
					boolean not = pi < p.length && p[pi] == '^';
					if (not) {
						pi++;
					}
					boolean found = false;
					while (true) {
						if (pi < p.length && p[pi] == '\\' && pi + 1 < p.length) {
							pi++;
							found |= p[pi] == s[si];
						}
						else if (pi >= p.length) {
							// an unterminated class ends at the pattern's end, as in
							// Redis
							pi--;
							break;
						}
						else if (p[pi] == ']') {
							break;
						}
						else if (pi + 2 < p.length && p[pi + 1] == '-') {
							int start = p[pi] & 0xff;
							int end = p[pi + 2] & 0xff;
							int c = s[si] & 0xff;
							if (start > end) {
								int swap = start;
								start = end;
								end = swap;
							}
							pi += 2;
							found |= c >= start && c <= end;
						}
						else {
							found |= p[pi] == s[si];
						}
						pi++;
					}
					if (not == found) {
						return false;
					}
					si++;
				}
				case '\\' -> {
					if (pi + 1 < p.length) {
						pi++;
					}
					if (si >= s.length || p[pi] != s[si]) {
						return false;
					}
					si++;
				}
				default -> {
					if (si >= s.length || p[pi] != s[si]) {
						return false;
					}
					si++;
				}
			}
			pi++;
		}
		return si == s.length;
	}

}
