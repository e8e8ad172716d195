package io.keyferry.redis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The {@code --rename-prefix FROM=TO} rules of a run: a key that starts with FROM is
 * written under TO followed by the rest of its name. When several FROMs match a key, the
 * longest wins (so the order the rules are given in does not matter). Prefixes are UTF-8;
 * key names are compared as bytes, so binary names pass through unchanged unless they
 * start with a FROM. Immutable and thread-safe.
 */
public final class PrefixRenames {

	/** No renaming: every key is written under its own name. */
	public static final PrefixRenames NONE = new PrefixRenames(List.of());

	private final List<Rule> rules;

	/** One rule: keys starting with {@code from} are written under {@code to}. */
	private record Rule(String text, byte[] from, byte[] to) {
	}

	private PrefixRenames(List<Rule> rules) {
		this.rules = rules;
	}

	/**
	 * Parses the rules.
	 * @param specs {@code FROM=TO} each (TO may be empty; FROM may not, nor hold '=' or a
	 * line break)
	 * @return the rules, {@link #NONE} for none
	 * @throws IllegalArgumentException naming the rule that is not valid
	 */
	public static PrefixRenames parse(List<String> specs) {
		if (specs == null || specs.isEmpty()) {
			return NONE;
		}
		List<Rule> rules = new ArrayList<>();
		for (String spec : specs) {
			int equals = spec.indexOf('=');
			if (equals < 0) {
				throw new IllegalArgumentException("'" + spec + "' has no '='");
			}
			if (equals == 0) {
				throw new IllegalArgumentException("'" + spec + "' has an empty FROM");
			}
			if (spec.indexOf('\n') >= 0 || spec.indexOf('\r') >= 0) {
				throw new IllegalArgumentException("'" + spec.strip() + "' holds a line break");
			}
			byte[] from = spec.substring(0, equals).getBytes(StandardCharsets.UTF_8);
			byte[] to = spec.substring(equals + 1).getBytes(StandardCharsets.UTF_8);
			for (Rule rule : rules) {
				if (Arrays.equals(rule.from(), from)) {
					throw new IllegalArgumentException("'" + spec + "' and '" + rule.text() + "' rename the same FROM");
				}
			}
			rules.add(new Rule(spec, from, to));
		}
		// longest FROM first: the most specific rule wins; ties cannot match the same key
		rules.sort(Comparator.comparingInt((Rule rule) -> rule.from().length)
			.reversed()
			.thenComparing(Rule::from, Arrays::compareUnsigned));
		return new PrefixRenames(List.copyOf(rules));
	}

	/**
	 * Reads the form {@link #toParameter()} wrote.
	 * @param parameter the stored rules, empty for none
	 * @return the rules
	 */
	public static PrefixRenames fromParameter(String parameter) {
		if (parameter == null || parameter.isEmpty()) {
			return NONE;
		}
		return parse(List.of(parameter.split("\n", -1)));
	}

	/**
	 * The rules as one string, in their order of precedence: a job parameter, and part of
	 * a run's identity.
	 * @return e.g. {@code app:cache:=cache:\napp:=v2:}, empty for none
	 */
	public String toParameter() {
		return String.join("\n", this.rules.stream().map(Rule::text).toList());
	}

	/**
	 * The rules for messages.
	 * @return e.g. {@code app:=v2:, old:=new:}
	 */
	public String describe() {
		return String.join(", ", this.rules.stream().map(Rule::text).toList());
	}

	public boolean isEmpty() {
		return this.rules.isEmpty();
	}

	/**
	 * The name a key is written under in the target.
	 * @param key the source key
	 * @return the renamed key, or {@code key} itself when no rule matches
	 */
	public byte[] targetKey(byte[] key) {
		for (Rule rule : this.rules) {
			byte[] from = rule.from();
			if (startsWith(key, from)) {
				return withPrefix(key, from.length, rule.to());
			}
		}
		return key;
	}

	/**
	 * The source keys a target key may have been written from: itself when no rule
	 * renames it, and each name a rule renames to it.
	 * @param targetKey the key in the target
	 * @return the source keys whose {@link #targetKey(byte[])} is {@code targetKey}, none
	 * when the key cannot have been written by this mapping
	 */
	public List<byte[]> sourceKeys(byte[] targetKey) {
		List<byte[]> sources = new ArrayList<>(1);
		if (Arrays.equals(targetKey(targetKey), targetKey)) {
			sources.add(targetKey);
		}
		for (Rule rule : this.rules) {
			byte[] to = rule.to();
			if (startsWith(targetKey, to)) {
				byte[] source = withPrefix(targetKey, to.length, rule.from());
				if (Arrays.equals(targetKey(source), targetKey)
						&& sources.stream().noneMatch((known) -> Arrays.equals(known, source))) {
					sources.add(source);
				}
			}
		}
		return sources;
	}

	private static boolean startsWith(byte[] key, byte[] prefix) {
		return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
	}

	/** The key with its first {@code length} bytes replaced by {@code prefix}. */
	private static byte[] withPrefix(byte[] key, int length, byte[] prefix) {
		byte[] renamed = new byte[prefix.length + key.length - length];
		System.arraycopy(prefix, 0, renamed, 0, prefix.length);
		System.arraycopy(key, length, renamed, prefix.length, key.length - length);
		return renamed;
	}

	@Override
	public boolean equals(Object other) {
		return other instanceof PrefixRenames renames && renames.toParameter().equals(toParameter());
	}

	@Override
	public int hashCode() {
		return toParameter().hashCode();
	}

	@Override
	public String toString() {
		return describe();
	}

}
