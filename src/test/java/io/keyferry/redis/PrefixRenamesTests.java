package io.keyferry.redis;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests of {@link PrefixRenames}: parsing, precedence (longest FROM first) and the stored
 * form.
 */
class PrefixRenamesTests {

	@Test
	void aKeyStartingWithFromIsWrittenUnderTo() {
		PrefixRenames renames = PrefixRenames.parse(List.of("app:=v2:app:"));
		assertThat(name(renames, "app:user:1")).isEqualTo("v2:app:user:1");
		assertThat(name(renames, "app:")).isEqualTo("v2:app:");
		assertThat(name(renames, "other:app:1")).isEqualTo("other:app:1");
		assertThat(name(renames, "ap")).isEqualTo("ap");
	}

	@Test
	void theLongestMatchingFromWinsWhateverTheOrder() {
		PrefixRenames given = PrefixRenames.parse(List.of("app:=new:", "app:cache:=cache:"));
		PrefixRenames reversed = PrefixRenames.parse(List.of("app:cache:=cache:", "app:=new:"));
		for (PrefixRenames renames : List.of(given, reversed)) {
			assertThat(name(renames, "app:cache:7")).isEqualTo("cache:7");
			assertThat(name(renames, "app:user:7")).isEqualTo("new:user:7");
		}
		assertThat(given).isEqualTo(reversed);
		assertThat(given.toParameter()).isEqualTo("app:cache:=cache:\napp:=new:");
	}

	@Test
	void anEmptyToRemovesThePrefixAndBinaryRestIsKept() {
		PrefixRenames renames = PrefixRenames.parse(List.of("tmp:="));
		byte[] key = { 't', 'm', 'p', ':', (byte) 0xff, 0 };
		assertThat(renames.targetKey(key)).containsExactly((byte) 0xff, 0);
	}

	@Test
	void theStoredFormReadsBackTheSameRules() {
		PrefixRenames renames = PrefixRenames.parse(List.of("a=b", "a:b=c=d"));
		assertThat(PrefixRenames.fromParameter(renames.toParameter())).isEqualTo(renames);
		assertThat(name(PrefixRenames.fromParameter(renames.toParameter()), "a:bx")).isEqualTo("c=dx");
		assertThat(PrefixRenames.fromParameter("")).isSameAs(PrefixRenames.NONE);
		assertThat(PrefixRenames.parse(List.of())).isSameAs(PrefixRenames.NONE);
	}

	@Test
	void badRulesAreRefusedWithTheRuleNamed() {
		assertThatIllegalArgumentException().isThrownBy(() -> PrefixRenames.parse(List.of("app:")))
			.withMessageContaining("'app:' has no '='");
		assertThatIllegalArgumentException().isThrownBy(() -> PrefixRenames.parse(List.of("=new:")))
			.withMessageContaining("empty FROM");
		assertThatIllegalArgumentException().isThrownBy(() -> PrefixRenames.parse(List.of("a=b", "a=c")))
			.withMessageContaining("the same FROM");
	}

	private static String name(PrefixRenames renames, String key) {
		return new String(renames.targetKey(key.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
	}

	@Test
	void sourceKeysAreTheNamesATargetKeyMayHaveBeenWrittenFrom() {
		PrefixRenames renames = PrefixRenames.parse(List.of("app:=v2:", "app:cache:=cache:"));
		assertThat(sources(renames, "v2:user:1")).containsExactlyInAnyOrder("v2:user:1", "app:user:1");
		assertThat(sources(renames, "cache:7")).containsExactlyInAnyOrder("cache:7", "app:cache:7");
		// app:cache:x is written as cache:x (the longer rule), never as v2:cache:x
		assertThat(sources(renames, "v2:cache:7")).containsExactly("v2:cache:7");
		// app:x is renamed: a target key app:x cannot have come from the source's app:x
		assertThat(sources(renames, "app:user:1")).isEmpty();
		assertThat(sources(PrefixRenames.NONE, "app:user:1")).containsExactly("app:user:1");
		for (String target : List.of("v2:user:1", "cache:7", "v2:cache:7", "other")) {
			for (String source : sources(renames, target)) {
				assertThat(name(renames, source)).isEqualTo(target);
			}
		}
	}

	private static List<String> sources(PrefixRenames renames, String targetKey) {
		return renames.sourceKeys(targetKey.getBytes(StandardCharsets.UTF_8))
			.stream()
			.map((key) -> new String(key, StandardCharsets.UTF_8))
			.toList();
	}

}
