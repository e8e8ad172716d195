package io.keyferry.testsupport;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.entry;

/**
 * Tests for {@link CopySummary}.
 */
class CopySummaryTests {

	private static final String STOPPED = "{\"executionId\":7,\"runId\":3,\"run\":1,\"status\":\"STOPPED\","
			+ "\"source\":\"redis://127.0.0.1:6379/0\",\"type\":null,\"dryRun\":false,\"read\":120,\"written\":100,"
			+ "\"filtered\":5,\"skipped\":{\"exists\":10,\"rejected\":0,\"tooLarge\":5,\"other\":0},"
			+ "\"skippedTotal\":15,\"scanned\":0.4014,\"rescans\":1,\"error\":\"the run was stopped\","
			+ "\"hint\":\"say \\\"resume\\\"\\n\\u00e9\"}";

	@Test
	void readsTheLastJsonLineOfStdout() {
		CopySummary summary = CopySummary.parse("some text\n{\"read\":1}\n" + STOPPED + "\n", () -> "");
		assertThat(summary.executionId()).isEqualTo(7);
		assertThat(summary.runId()).isEqualTo(3);
		assertThat(summary.run()).isEqualTo(1);
		assertThat(summary.status()).isEqualTo("STOPPED");
		assertThat(summary.read()).isEqualTo(120);
		assertThat(summary.written()).isEqualTo(100);
		assertThat(summary.filtered()).isEqualTo(5);
		assertThat(summary.skippedTotal()).isEqualTo(15);
		assertThat(summary.skipped()).containsExactly(entry("exists", 10L), entry("rejected", 0L),
				entry("tooLarge", 5L), entry("other", 0L));
		assertThat(summary.rescans()).isEqualTo(1);
		assertThat(summary.error()).isEqualTo("the run was stopped");
		assertThat(summary.field("hint")).isEqualTo("say \"resume\"\n\u00e9");
		assertThat(summary.field("type")).isNull();
		assertThat(summary.field("scanned")).isEqualTo(0.4014);
		summary.assertCountsAddUp();
	}

	@Test
	void countsThatDoNotAddUpFail() {
		CopySummary summary = CopySummary.parse(STOPPED.replace("\"read\":120", "\"read\":121"));
		assertThatExceptionOfType(AssertionError.class).isThrownBy(summary::assertCountsAddUp)
			.withMessageContaining("read = written + filtered + skipped");
	}

	@Test
	void skipsThatDoNotAddUpToTheirTotalFail() {
		CopySummary summary = CopySummary.parse(STOPPED.replace("\"exists\":10", "\"exists\":11"));
		assertThatExceptionOfType(AssertionError.class).isThrownBy(summary::assertCountsAddUp)
			.withMessageContaining("skippedTotal = sum of skipped by reason");
	}

	@Test
	void failsWithoutASummary() {
		assertThatExceptionOfType(AssertionError.class)
			.isThrownBy(() -> CopySummary.parse("error: boom\n", () -> "the process output"))
			.withMessageContaining("no JSON summary on stdout")
			.withMessageContaining("the process output");
	}

	@Test
	void failsOnInvalidJson() {
		assertThatExceptionOfType(AssertionError.class).isThrownBy(() -> CopySummary.parse("{\"read\":1,}"))
			.withMessageContaining("invalid JSON summary");
	}

}
