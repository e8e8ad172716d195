package io.keyferry.run;

import io.keyferry.job.RunMonitor;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Prints the progress of a run on stderr at a fixed interval: counts, keys/s, how much of
 * the keyspace has been scanned (from the SCAN cursor, which also works with filters and
 * across resumes) and an ETA. A live bar on a terminal, plain lines otherwise. The bar is
 * redrawn in place, so it is fitted to the terminal's width ({@code COLUMNS}, 80 when
 * unknown): a line that wrapped would start a new line at each refresh. Thread-safe.
 */
public final class ProgressReporter implements AutoCloseable {

	private static final int DEFAULT_COLUMNS = 80;

	private static final int MIN_BAR = 10;

	private static final int MAX_BAR = 24;

	/**
	 * The bar's fields, most important first: ETA, keys/s, read, written, skipped,
	 * filtered.
	 */
	private static final int[] IMPORTANCE = { 5, 4, 0, 1, 3, 2 };

	private final RunMonitor monitor;

	private final PrintStream out;

	private final boolean bar;

	/** The terminal's width: the bar line is at most one character narrower. */
	private final int columns;

	private final long startNanos = System.nanoTime();

	private final ScheduledExecutorService scheduler;

	private double startFraction = -1;

	private long lastRead;

	private long lastNanos = this.startNanos;

	/**
	 * Starts reporting.
	 * @param monitor the run's live state
	 * @param out where to print (stderr)
	 * @param interval how often
	 * @param bar whether to draw a live bar (stderr is a terminal)
	 */
	public ProgressReporter(RunMonitor monitor, PrintStream out, Duration interval, boolean bar) {
		this(monitor, out, interval, bar, columns(System.getenv("COLUMNS")));
	}

	ProgressReporter(RunMonitor monitor, PrintStream out, Duration interval, boolean bar, int columns) {
		this.monitor = monitor;
		this.out = out;
		this.bar = bar;
		this.columns = columns;
		this.scheduler = Executors.newSingleThreadScheduledExecutor((r) -> {
			Thread thread = new Thread(r, "keyferry-progress");
			thread.setDaemon(true);
			return thread;
		});
		if (!interval.isZero()) {
			this.scheduler.scheduleAtFixedRate(this::print, interval.toMillis(), interval.toMillis(),
					TimeUnit.MILLISECONDS);
		}
	}

	void print() {
		if (this.monitor.currentExecution() == null) {
			// still checking the servers, or between runs
			return;
		}
		try {
			this.out.print(line());
			this.out.print(this.bar ? "\r" : "\n");
			this.out.flush();
		}
		catch (RuntimeException ex) {
			// progress must never break a run
		}
	}

	String line() {
		long now = System.nanoTime();
		long read = this.monitor.read();
		double elapsed = (now - this.startNanos) / 1e9;
		double recent = (now - this.lastNanos) / 1e9;
		double rate = (recent > 0) ? (read - this.lastRead) / recent : 0;
		this.lastRead = read;
		this.lastNanos = now;
		double fraction = this.monitor.fraction();
		if (this.startFraction < 0 && fraction >= 0) {
			this.startFraction = fraction;
		}
		String eta = "--:--:--";
		if (fraction > this.startFraction && this.startFraction >= 0 && elapsed > 0) {
			double perSecond = (fraction - this.startFraction) / elapsed;
			eta = clock((long) ((1 - fraction) / perSecond));
		}
		String percent = (fraction >= 0) ? String.format(Locale.ROOT, "%5.1f%%", fraction * 100) : "  ?  %";
		if (this.bar) {
			return barLine(fraction, percent, read, rate, eta);
		}
		String counts = String.format(Locale.ROOT,
				"read %,d  written %,d  filtered %,d  skipped %,d  %,.0f keys/s  ETA %s", read, this.monitor.written(),
				this.monitor.filtered(), this.monitor.skipped(), rate, eta);
		String keys = (this.monitor.sourceKeys() > 0)
				? String.format(Locale.ROOT, " of ~%,d keys", this.monitor.sourceKeys()) : "";
		return "progress " + clock((long) elapsed) + " " + percent.trim() + " scanned" + keys + "  " + counts;
	}

	/**
	 * The bar, padded to the width so that it overwrites the previous one: the fields
	 * that do not fit are left out, least useful first, then the bar gets narrower.
	 */
	private String barLine(double fraction, String percent, long read, double rate, String eta) {
		int width = this.columns - 1;
		// in reading order; IMPORTANCE says which to keep when they do not all fit
		String[] fields = { String.format(Locale.ROOT, "read %,d", read),
				String.format(Locale.ROOT, "written %,d", this.monitor.written()),
				String.format(Locale.ROOT, "filtered %,d", this.monitor.filtered()),
				String.format(Locale.ROOT, "skipped %,d", this.monitor.skipped()),
				String.format(Locale.ROOT, "%,.0f keys/s", rate), "ETA " + eta };
		int kept = IMPORTANCE.length;
		String text = barText(percent, fields, kept);
		while (text.length() + MIN_BAR + 3 > width && kept > 0) {
			kept--;
			text = barText(percent, fields, kept);
		}
		int barWidth = Math.max(0, Math.min(MAX_BAR, width - text.length() - 3));
		int filled = (fraction >= 0) ? (int) Math.round(Math.min(1, fraction) * barWidth) : 0;
		String line = "[" + "#".repeat(filled) + ".".repeat(barWidth - filled) + "] " + text;
		if (line.length() > width) {
			return line.substring(0, Math.max(0, width));
		}
		return line + " ".repeat(width - line.length());
	}

	private static String barText(String percent, String[] fields, int kept) {
		StringBuilder sb = new StringBuilder(percent);
		for (int i = 0; i < fields.length; i++) {
			for (int k = 0; k < kept; k++) {
				if (IMPORTANCE[k] == i) {
					sb.append("  ").append(fields[i]);
				}
			}
		}
		return sb.toString();
	}

	/**
	 * The terminal's width from {@code COLUMNS}.
	 * @param value the variable's value, or {@code null}
	 * @return the width, 80 when unknown or implausible
	 */
	static int columns(String value) {
		if (value != null) {
			try {
				int columns = Integer.parseInt(value.trim());
				if (columns >= 20 && columns <= 1000) {
					return columns;
				}
			}
			catch (NumberFormatException ex) {
				// unknown
			}
		}
		return DEFAULT_COLUMNS;
	}

	static String clock(long seconds) {
		return String.format(Locale.ROOT, "%02d:%02d:%02d", seconds / 3600, (seconds / 60) % 60, seconds % 60);
	}

	@Override
	public void close() {
		this.scheduler.shutdownNow();
		if (this.bar) {
			this.out.print("\n");
			this.out.flush();
		}
	}

}
