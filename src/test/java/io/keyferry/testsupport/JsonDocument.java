package io.keyferry.testsupport;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads what keyferry prints as JSON ({@code history --json} arrays, {@code show --json}
 * objects, the JSON lines of {@code schedule}) into plain values: {@link Map} (keys in
 * order), {@link List}, {@link String}, {@link Long} or {@link Double}, {@link Boolean}
 * and {@code null}. A parser of its own, so that tests check the printed text rather than
 * keyferry's writer. Stateless.
 */
public final class JsonDocument {

	private JsonDocument() {
	}

	/**
	 * Parses one JSON value.
	 * @param text the text
	 * @return the value
	 * @throws IllegalArgumentException when the text is not one JSON value
	 */
	public static Object parse(String text) {
		Parser parser = new Parser(text.strip());
		Object value = parser.value();
		parser.end();
		return value;
	}

	/**
	 * Parses one JSON object.
	 * @param text the text
	 * @return its fields, in order
	 */
	@SuppressWarnings("unchecked")
	public static Map<String, Object> object(String text) {
		Object value = parse(text);
		if (!(value instanceof Map<?, ?>)) {
			throw new IllegalArgumentException("not a JSON object: " + text);
		}
		return (Map<String, Object>) value;
	}

	/**
	 * Parses a JSON array of objects.
	 * @param text the text
	 * @return the objects, in order
	 */
	public static List<Map<String, Object>> objects(String text) {
		Object value = parse(text);
		if (!(value instanceof List<?> list)) {
			throw new IllegalArgumentException("not a JSON array: " + text);
		}
		return list.stream().map(JsonDocument::asObject).toList();
	}

	/**
	 * Parses JSON lines: each line that starts with an opening brace is one object; other
	 * lines are ignored.
	 * @param text the text
	 * @return the objects, in order
	 */
	public static List<Map<String, Object>> lines(String text) {
		return text.lines().filter((line) -> line.startsWith("{")).map(JsonDocument::object).toList();
	}

	/**
	 * Casts a parsed value that must be an object.
	 * @param value the value
	 * @return the object's fields
	 */
	@SuppressWarnings("unchecked")
	public static Map<String, Object> asObject(Object value) {
		if (!(value instanceof Map<?, ?>)) {
			throw new IllegalArgumentException("not a JSON object: " + value);
		}
		return (Map<String, Object>) value;
	}

	/**
	 * A number field of an object.
	 * @param object the object
	 * @param name the field
	 * @return its value
	 */
	public static long number(Map<String, Object> object, String name) {
		Object value = object.get(name);
		if (!(value instanceof Number number)) {
			throw new IllegalArgumentException("'" + name + "' is not a number in " + object);
		}
		return number.longValue();
	}

	/** Recursive descent over one JSON value. Not thread-safe. */
	private static final class Parser {

		private final String text;

		private int position;

		Parser(String text) {
			this.text = text;
		}

		Object value() {
			skipWhitespace();
			return switch (peek()) {
				case '{' -> object();
				case '[' -> array();
				case '"' -> string();
				case 't' -> literal("true", Boolean.TRUE);
				case 'f' -> literal("false", Boolean.FALSE);
				case 'n' -> literal("null", null);
				default -> number();
			};
		}

		void end() {
			skipWhitespace();
			if (this.position != this.text.length()) {
				throw error("unexpected text after the value");
			}
		}

		private Map<String, Object> object() {
			Map<String, Object> map = new LinkedHashMap<>();
			expect('{');
			skipWhitespace();
			if (peek() == '}') {
				this.position++;
				return map;
			}
			while (true) {
				skipWhitespace();
				String key = string();
				skipWhitespace();
				expect(':');
				if (map.containsKey(key)) {
					throw error("duplicate key '" + key + "'");
				}
				map.put(key, value());
				skipWhitespace();
				if (peek() == ',') {
					this.position++;
					continue;
				}
				expect('}');
				return map;
			}
		}

		private List<Object> array() {
			List<Object> list = new ArrayList<>();
			expect('[');
			skipWhitespace();
			if (peek() == ']') {
				this.position++;
				return list;
			}
			while (true) {
				list.add(value());
				skipWhitespace();
				if (peek() == ',') {
					this.position++;
					continue;
				}
				expect(']');
				return list;
			}
		}

		private String string() {
			expect('"');
			StringBuilder sb = new StringBuilder();
			while (true) {
				char c = next();
				if (c == '"') {
					return sb.toString();
				}
				if (c < 0x20) {
					throw error("unescaped control character in a string");
				}
				if (c != '\\') {
					sb.append(c);
					continue;
				}
				char escaped = next();
				switch (escaped) {
					case '"', '\\', '/' -> sb.append(escaped);
					case 'b' -> sb.append('\b');
					case 'f' -> sb.append('\f');
					case 'n' -> sb.append('\n');
					case 'r' -> sb.append('\r');
					case 't' -> sb.append('\t');
					case 'u' -> {
						if (this.position + 4 > this.text.length()) {
							throw error("truncated \\u escape");
						}
						sb.append((char) Integer.parseInt(this.text.substring(this.position, this.position + 4), 16));
						this.position += 4;
					}
					default -> throw error("invalid escape '\\" + escaped + "'");
				}
			}
		}

		private Number number() {
			int start = this.position;
			while (this.position < this.text.length()
					&& "+-0123456789.eE".indexOf(this.text.charAt(this.position)) >= 0) {
				this.position++;
			}
			String number = this.text.substring(start, this.position);
			if (number.isEmpty()) {
				throw error("unexpected character");
			}
			try {
				return (number.contains(".") || number.contains("e") || number.contains("E"))
						? (Number) Double.parseDouble(number) : (Number) Long.parseLong(number);
			}
			catch (NumberFormatException ex) {
				throw error("invalid number '" + number + "'");
			}
		}

		private Object literal(String word, Object value) {
			if (!this.text.startsWith(word, this.position)) {
				throw error("unexpected character");
			}
			this.position += word.length();
			return value;
		}

		private void expect(char c) {
			if (next() != c) {
				this.position--;
				throw error("expected '" + c + "'");
			}
		}

		private char peek() {
			if (this.position >= this.text.length()) {
				throw error("unexpected end");
			}
			return this.text.charAt(this.position);
		}

		private char next() {
			char c = peek();
			this.position++;
			return c;
		}

		private void skipWhitespace() {
			while (this.position < this.text.length() && Character.isWhitespace(this.text.charAt(this.position))) {
				this.position++;
			}
		}

		private IllegalArgumentException error(String problem) {
			return new IllegalArgumentException(problem + " at position " + this.position + " of " + this.text);
		}

	}

}
