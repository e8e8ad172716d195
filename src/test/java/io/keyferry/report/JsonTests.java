package io.keyferry.report;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.keyferry.testsupport.CopySummary;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link Json}.
 */
class JsonTests {

	@Test
	void writesScalars() {
		assertThat(Json.write(null)).isEqualTo("null");
		assertThat(Json.write(42L)).isEqualTo("42");
		assertThat(Json.write(-7)).isEqualTo("-7");
		assertThat(Json.write(0.25)).isEqualTo("0.25");
		assertThat(Json.write(true)).isEqualTo("true");
		assertThat(Json.write("text")).isEqualTo("\"text\"");
	}

	@Test
	void writesNonFiniteNumbersAsNull() {
		assertThat(Json.write(Double.NaN)).isEqualTo("null");
		assertThat(Json.write(Double.POSITIVE_INFINITY)).isEqualTo("null");
		assertThat(Json.write(Double.NEGATIVE_INFINITY)).isEqualTo("null");
	}

	@Test
	void escapesQuotesBackslashesAndControlCharacters() {
		assertThat(Json.write("a\"b\\c\nd\re\tf\u0001g\u001fh"))
			.isEqualTo("\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001fh\"");
	}

	@Test
	void keepsNonAsciiCharacters() {
		assertThat(Json.write("clé ✓")).isEqualTo("\"clé ✓\"");
	}

	@Test
	void writesObjectsInMapOrderAndArrays() {
		Map<String, Object> map = new LinkedHashMap<>();
		map.put("z", 1);
		map.put("a", List.of("x", 2));
		map.put("nested", Map.of("k", false));
		map.put("none", null);
		map.put("empty", List.of());

		assertThat(Json.write(map))
			.isEqualTo("{\"z\":1,\"a\":[\"x\",2],\"nested\":{\"k\":false},\"none\":null,\"empty\":[]}");
	}

	@Test
	void writesOtherObjectsAsTheirString() {
		assertThat(Json.write(Duration.ofSeconds(3))).isEqualTo("\"PT3S\"");
		assertThat(Json.write(Map.of(7, "seven"))).isEqualTo("{\"7\":\"seven\"}");
	}

	@Test
	void fieldNamesAreCamelCase() {
		assertThat(Json.fieldName("too-large")).isEqualTo("tooLarge");
		assertThat(Json.fieldName("retry-backoff-ms")).isEqualTo("retryBackoffMs");
		assertThat(Json.fieldName("dry-run")).isEqualTo("dryRun");
		assertThat(Json.fieldName("exists")).isEqualTo("exists");
		assertThat(Json.withFieldNames(Map.of("on-conflict", "skip"))).containsExactly(Map.entry("onConflict", "skip"));
	}

	@Test
	void outputReadsBackAsTheSameValues() {
		Map<String, Object> map = new LinkedHashMap<>();
		map.put("error", "key \"a\\b\"\n\u0000 failed");
		map.put("read", 12L);
		map.put("skipped", Map.of("exists", 3L));
		map.put("list", Arrays.asList(1L, null, "x"));

		CopySummary read = CopySummary.parse(Json.write(map));

		assertThat(read.field("error")).isEqualTo("key \"a\\b\"\n\u0000 failed");
		assertThat(read.field("read")).isEqualTo(12L);
		assertThat(read.field("skipped")).isEqualTo(Map.of("exists", 3L));
		assertThat(read.field("list")).isEqualTo(Arrays.asList(1L, null, "x"));
	}

}
