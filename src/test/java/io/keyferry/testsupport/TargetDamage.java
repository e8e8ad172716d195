package io.keyferry.testsupport;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A target damaged on purpose after a copy, for the verify tests: 10 keys deleted, 10
 * strings appended to (TTL kept), 10 persistent keys given a TTL, 5 non-strings replaced
 * by strings, 10 keys added that the source lacks ({@code extra:0} to {@code extra:9}).
 * Only keys with printable names are damaged.
 *
 * @param missing the keys deleted from the target
 * @param values the strings changed in the target
 * @param ttls the persistent keys given a TTL in the target
 * @param types the keys whose type the target changed
 * @param extra the keys only the target has
 */
public record TargetDamage(List<String> missing, List<String> values, List<String> ttls, List<String> types,
		List<String> extra) {

	/**
	 * The kinds {@code show --differences} lists, by key.
	 * @return key → kind
	 */
	public Map<String, String> expectedKinds() {
		Map<String, String> kinds = new HashMap<>();
		this.missing.forEach((key) -> kinds.put(key, "missing"));
		this.values.forEach((key) -> kinds.put(key, "differentValue"));
		this.ttls.forEach((key) -> kinds.put(key, "differentTtl"));
		this.types.forEach((key) -> kinds.put(key, "differentType"));
		this.extra.forEach((key) -> kinds.put(key, "extra"));
		return kinds;
	}

	/**
	 * Damages a target that holds a copy of the source.
	 * @param source the source (at least a few hundred keys of mixed types, some
	 * volatile)
	 * @param target the target
	 * @return what was damaged
	 */
	public static TargetDamage apply(RedisServer source, RedisServer target) {
		// printable names only: the String codec would mangle the binary ones
		List<String> keys = source.sync()
			.keys("*")
			.stream()
			.filter((key) -> key.chars().allMatch((c) -> c >= 0x20 && c < 0x7f))
			.sorted()
			.toList();
		List<String> strings = new ArrayList<>();
		List<String> persistent = new ArrayList<>();
		List<String> collections = new ArrayList<>();
		List<String> others = new ArrayList<>();
		for (String key : keys) {
			String type = source.sync().type(key);
			boolean volatileKey = source.sync().pttl(key) >= 0;
			if ("string".equals(type) && strings.size() < 10) {
				strings.add(key);
			}
			else if (!volatileKey && persistent.size() < 10) {
				persistent.add(key);
			}
			else if (!"string".equals(type) && collections.size() < 5) {
				collections.add(key);
			}
			else if (others.size() < 10) {
				others.add(key);
			}
		}
		for (String key : others) {
			target.sync().del(key);
		}
		for (String key : strings) {
			target.sync().append(key, "-changed");
		}
		for (String key : persistent) {
			target.sync().pexpire(key, 7_200_000);
		}
		for (String key : collections) {
			long pttl = target.sync().pttl(key);
			target.sync().del(key);
			target.sync().set(key, "now a string");
			if (pttl > 0) {
				target.sync().pexpire(key, pttl);
			}
		}
		List<String> extra = new ArrayList<>();
		for (int i = 0; i < 10; i++) {
			extra.add("extra:" + i);
			target.sync().set("extra:" + i, "only in the target");
		}
		assertThat(others).hasSize(10);
		assertThat(strings).hasSize(10);
		assertThat(persistent).hasSize(10);
		assertThat(collections).hasSize(5);
		return new TargetDamage(others, strings, persistent, collections, extra);
	}

}
