package io.keyferry.job.item;

import java.util.function.BooleanSupplier;

/**
 * Limits the rate of keys read, to spare a busy source. Not thread-safe: one per reader.
 */
public final class Throttle {

	private final long keysPerSecond;

	private final long startNanos = System.nanoTime();

	private long granted;

	/**
	 * Creates a throttle.
	 * @param keysPerSecond the limit, 0 for none
	 */
	public Throttle(long keysPerSecond) {
		this.keysPerSecond = keysPerSecond;
	}

	/**
	 * Waits until the given number of keys may be read.
	 * @param keys the keys about to be handed out
	 * @param stopping stops waiting when true
	 */
	public void acquire(int keys, BooleanSupplier stopping) {
		if (this.keysPerSecond <= 0) {
			return;
		}
		this.granted += keys;
		long dueNanos = this.startNanos + (long) (this.granted * 1e9 / this.keysPerSecond);
		while (System.nanoTime() < dueNanos && !stopping.getAsBoolean()) {
			try {
				Thread.sleep(Math.max(1, Math.min(100, (dueNanos - System.nanoTime()) / 1_000_000)));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

}
