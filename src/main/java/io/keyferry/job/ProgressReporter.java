package io.keyferry.job;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Prints the progress of a run on stderr at a fixed interval: counts, keys/s, how much of
 * the keyspace has been scanned (from the SCAN cursor, which also works with filters and
 * across resumes) and an ETA. A live bar on a terminal, plain lines otherwise.
 * Thread-safe.
 */
public final class ProgressReporter implements AutoCloseable {

	private final RunMonitor monitor;

	private final PrintStream out;

	private final boolean bar;

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
		this.monitor = monitor;
		this.out = out;
		this.bar = bar;
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
		String counts = String.format(Locale.ROOT,
				"read %,d  written %,d  filtered %,d  skipped %,d  %,.0f keys/s  ETA %s", read, this.monitor.written(),
				this.monitor.filtered(), this.monitor.skipped(), rate, eta);
		String keys = (this.monitor.sourceKeys() > 0)
				? String.format(Locale.ROOT, " of ~%,d keys", this.monitor.sourceKeys()) : "";
		if (this.bar) {
			int width = 24;
			int filled = (fraction >= 0) ? (int) Math.round(fraction * width) : 0;
			return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + percent + "  " + counts + "   ";
		}
		return "progress " + clock((long) elapsed) + " " + percent.trim() + " scanned" + keys + "  " + counts;
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
