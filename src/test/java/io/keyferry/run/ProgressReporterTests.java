package io.keyferry.run;

import io.keyferry.job.RunMonitor;
import io.keyferry.job.item.KeyCounts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ProgressReporter}'s lines: the live bar is redrawn in place with a
 * carriage return, so it must never be wider than the terminal (a wrapped line starts a
 * new line at every refresh).
 */
class ProgressReporterTests {

	@ParameterizedTest
	@ValueSource(ints = { 40, 60, 80, 100, 120, 200 })
	void barFitsTheTerminalWidthEvenWithLargeCounts(int columns) {
		RunMonitor monitor = monitor(123_456_789, 0.4567);

		try (ProgressReporter reporter = new ProgressReporter(monitor, new PrintStream(new ByteArrayOutputStream()),
				Duration.ZERO, true, columns)) {
			String line = reporter.line();

			assertThat(line).as("bar for %d columns", columns).hasSize(columns - 1).startsWith("[");
			assertThat(line).contains(" 45.7%").contains("ETA ").doesNotContain("\n").doesNotContain("\r");
		}
	}

	@Test
	void barKeepsTheMostUsefulFieldsOn80Columns() {
		RunMonitor monitor = monitor(12_345_678, 0.5);

		try (ProgressReporter reporter = new ProgressReporter(monitor, new PrintStream(new ByteArrayOutputStream()),
				Duration.ZERO, true, 80)) {
			String line = reporter.line();

			assertThat(line).contains("read 12,345,678", "keys/s", "ETA ");
			assertThat(line.indexOf("read")).isLessThan(line.indexOf("keys/s"));
			assertThat(line.indexOf("keys/s")).isLessThan(line.indexOf("ETA"));
		}
	}

	@Test
	void wideTerminalShowsEveryCount() {
		RunMonitor monitor = monitor(1_000, 0.1);

		try (ProgressReporter reporter = new ProgressReporter(monitor, new PrintStream(new ByteArrayOutputStream()),
				Duration.ZERO, true, 200)) {
			assertThat(reporter.line()).contains("read 1,000", "written 0", "filtered 1,000", "skipped 0", "keys/s",
					"ETA ");
		}
	}

	@Test
	void eachRefreshOverwritesThePreviousBarOnOneLine() {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		RunMonitor monitor = monitor(5_000_000, 0.3);
		monitor.setCurrentExecution(new org.springframework.batch.core.job.JobExecution(1L,
				new org.springframework.batch.core.job.JobInstance(1L, "copy"),
				new org.springframework.batch.core.job.parameters.JobParameters()));

		try (ProgressReporter reporter = new ProgressReporter(monitor,
				new PrintStream(bytes, true, StandardCharsets.UTF_8), Duration.ZERO, true, 80)) {
			reporter.print();
			monitor.chunkWritten(counts(99_000_000));
			reporter.print();
		}
		String printed = bytes.toString(StandardCharsets.UTF_8);

		assertThat(printed).endsWith("\n").doesNotContain("\n\n");
		assertThat(printed.substring(0, printed.length() - 1)).doesNotContain("\n");
		assertThat(printed.split("\r")).hasSize(3)
			.allSatisfy((part) -> assertThat(part.strip().length()).isLessThan(80));
	}

	@Test
	void widthComesFromColumnsOr80() {
		assertThat(ProgressReporter.columns("132")).isEqualTo(132);
		assertThat(ProgressReporter.columns(" 100 ")).isEqualTo(100);
		assertThat(ProgressReporter.columns(null)).isEqualTo(80);
		assertThat(ProgressReporter.columns("")).isEqualTo(80);
		assertThat(ProgressReporter.columns("wide")).isEqualTo(80);
		assertThat(ProgressReporter.columns("0")).isEqualTo(80);
	}

	private static RunMonitor monitor(long keys, double fraction) {
		RunMonitor monitor = new RunMonitor();
		monitor.chunkWritten(counts(keys));
		monitor.position("copy-partition:node0.range0", fraction, 1.0);
		return monitor;
	}

	private static KeyCounts counts(long keys) {
		KeyCounts counts = new KeyCounts();
		counts.addRead(keys);
		counts.addFiltered(keys);
		return counts;
	}

}
