package io.keyferry.redis;

/**
 * Prints binary key names readably and unambiguously: printable ASCII as is, a backslash
 * as {@code \\}, anything else as {@code \xNN}.
 */
public final class KeyNames {

	private KeyNames() {
	}

	public static String escape(byte[] key) {
		StringBuilder sb = new StringBuilder(key.length + 8);
		for (byte b : key) {
			int c = b & 0xff;
			if (c == '\\') {
				sb.append("\\\\");
			}
			else if (c == '"') {
				sb.append("\\\"");
			}
			else if (c >= 0x20 && c < 0x7f) {
				sb.append((char) c);
			}
			else {
				sb.append(String.format("\\x%02x", c));
			}
		}
		return sb.toString();
	}

}
