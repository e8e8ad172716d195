package io.keyferry.testsupport;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The JSON summary of one execution as printed by {@code keyferry copy --json} or
 * {@code resume --json} (one object on stdout), read with {@link JsonDocument} so that
 * the tests check the printed text rather than keyferry's own classes. Immutable.
 */
public final class CopySummary {

	private final Map<String, Object> fields;

	private final String json;

	private CopySummary(Map<String, Object> fields, String json) {
		this.fields = fields;
		this.json = json;
	}

	/**
	 * Reads the summary from a process's stdout: its last line that starts with an
	 * opening brace.
	 * @param stdout the output
	 * @param context what to add to a failure message
	 * @return the summary
	 */
	public static CopySummary parse(String stdout, Supplier<String> context) {
		String line = stdout.lines().filter((l) -> l.startsWith("{")).reduce((first, second) -> second).orElse(null);
		if (line == null) {
			fail("no JSON summary on stdout\n" + context.get());
		}
		try {
			return new CopySummary(JsonDocument.object(line), line);
		}
		catch (IllegalArgumentException ex) {
			throw new AssertionError("invalid JSON summary: " + ex.getMessage() + "\n" + context.get(), ex);
		}
	}

	/**
	 * Parses one JSON object.
	 * @param json the text
	 * @return the summary
	 */
	public static CopySummary parse(String json) {
		return parse(json, () -> json);
	}

	public long executionId() {
		return number("executionId");
	}

	public long runId() {
		return number("runId");
	}

	public long run() {
		return number("run");
	}

	public String status() {
		return (String) field("status");
	}

	public long read() {
		return number("read");
	}

	public long written() {
		return number("written");
	}

	public long filtered() {
		return number("filtered");
	}

	public long bytes() {
		return number("bytes");
	}

	public long skippedTotal() {
		return number("skippedTotal");
	}

	public long rescans() {
		return number("rescans");
	}

	/**
	 * The skips by reason ({@code exists}, {@code rejected}, {@code tooLarge},
	 * {@code other}).
	 * @return reason to count
	 */
	public Map<String, Long> skipped() {
		Object skipped = field("skipped");
		if (!(skipped instanceof Map<?, ?> map)) {
			throw new AssertionError("'skipped' is not an object in " + this.json);
		}
		Map<String, Long> counts = new LinkedHashMap<>();
		map.forEach((reason, count) -> counts.put((String) reason, ((Number) count).longValue()));
		return counts;
	}

	/**
	 * The keys written type by type, by reason ({@code olderTarget}, {@code rejected},
	 * {@code writeMode}): part of {@link #written()}.
	 * @return reason to count
	 */
	public Map<String, Long> fallback() {
		Object fallback = field("fallback");
		if (!(fallback instanceof Map<?, ?> map)) {
			throw new AssertionError("'fallback' is not an object in " + this.json);
		}
		Map<String, Long> counts = new LinkedHashMap<>();
		map.forEach((reason, count) -> counts.put((String) reason, ((Number) count).longValue()));
		return counts;
	}

	/**
	 * The {@code error} field, present when the execution did not complete.
	 * @return the message or {@code null}
	 */
	public String error() {
		return (String) this.fields.get("error");
	}

	/**
	 * Asserts invariant 2 for this execution: every key read was written, filtered or
	 * skipped, and the skips by reason add up to the total.
	 * @return this summary
	 */
	public CopySummary assertCountsAddUp() {
		long byReason = skipped().values().stream().mapToLong(Long::longValue).sum();
		assertThat(skippedTotal()).as("skippedTotal = sum of skipped by reason in %s", this.json).isEqualTo(byReason);
		assertThat(read()).as("read = written + filtered + skipped in %s", this.json)
			.isEqualTo(written() + filtered() + skippedTotal());
		return this;
	}

	public Object field(String name) {
		if (!this.fields.containsKey(name)) {
			throw new AssertionError("no field '" + name + "' in " + this.json);
		}
		return this.fields.get(name);
	}

	private long number(String name) {
		Object value = field(name);
		if (!(value instanceof Number number)) {
			throw new AssertionError("'" + name + "' is not a number in " + this.json);
		}
		return number.longValue();
	}

	@Override
	public String toString() {
		return this.json;
	}

}
