package io.keyferry.report;

import java.util.Collection;
import java.util.Map;

/**
 * A minimal JSON writer for keyferry's reports (objects, arrays, strings, numbers,
 * booleans, null). Stateless.
 */
public final class Json {

	private Json() {
	}

	/**
	 * The JSON field name for a name of keyferry's (a job parameter, a skip reason).
	 * @param name e.g. {@code too-large} or {@code retry-backoff-ms}
	 * @return e.g. {@code tooLarge} or {@code retryBackoffMs}
	 */
	public static String fieldName(String name) {
		StringBuilder sb = new StringBuilder(name.length());
		boolean upper = false;
		for (int i = 0; i < name.length(); i++) {
			char c = name.charAt(i);
			if (c == '-' || c == '_' || c == '.') {
				upper = sb.length() > 0;
			}
			else {
				sb.append(upper ? Character.toUpperCase(c) : c);
				upper = false;
			}
		}
		return sb.toString();
	}

	/**
	 * A map with its keys turned into JSON field names ({@link #fieldName}).
	 * @param map the map
	 * @return a new map, in the same order
	 */
	public static Map<String, Object> withFieldNames(Map<String, ?> map) {
		Map<String, Object> result = new java.util.LinkedHashMap<>();
		map.forEach((name, value) -> result.put(fieldName(name), value));
		return result;
	}

	public static String write(Object value) {
		StringBuilder sb = new StringBuilder();
		append(sb, value);
		return sb.toString();
	}

	private static void append(StringBuilder sb, Object value) {
		if (value == null) {
			sb.append("null");
		}
		else if (value instanceof String s) {
			string(sb, s);
		}
		else if (value instanceof Number || value instanceof Boolean) {
			if (value instanceof Double d && (d.isNaN() || d.isInfinite())) {
				sb.append("null");
			}
			else {
				sb.append(value);
			}
		}
		else if (value instanceof Map<?, ?> map) {
			sb.append('{');
			boolean first = true;
			for (Map.Entry<?, ?> entry : map.entrySet()) {
				if (!first) {
					sb.append(',');
				}
				first = false;
				string(sb, String.valueOf(entry.getKey()));
				sb.append(':');
				append(sb, entry.getValue());
			}
			sb.append('}');
		}
		else if (value instanceof Collection<?> list) {
			sb.append('[');
			boolean first = true;
			for (Object item : list) {
				if (!first) {
					sb.append(',');
				}
				first = false;
				append(sb, item);
			}
			sb.append(']');
		}
		else {
			string(sb, value.toString());
		}
	}

	private static void string(StringBuilder sb, String s) {
		sb.append('"');
		for (int i = 0; i < s.length(); i++) {
			char c = s.charAt(i);
			switch (c) {
				case '"' -> sb.append("\\\"");
				case '\\' -> sb.append("\\\\");
				case '\n' -> sb.append("\\n");
				case '\r' -> sb.append("\\r");
				case '\t' -> sb.append("\\t");
				default -> {
					if (c < 0x20) {
						sb.append(String.format("\\u%04x", (int) c));
					}
					else {
						sb.append(c);
					}
				}
			}
		}
		sb.append('"');
	}

}
