package io.keyferry.job;

import io.keyferry.KeyferryException;
import io.keyferry.job.item.KeyCounts;
import io.keyferry.job.item.ItemMonitor;
import java.io.PrintStream;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The live state of the run in this process: counts as chunks are written (before their
 * commit), the scan position of each partition, warnings, and whether a stop was
 * requested. Thread-safe; one instance per process, reset at the start of each run.
 */
public final class RunMonitor implements ItemMonitor {

	private final LongAdder read = new LongAdder();

	private final LongAdder written = new LongAdder();

	private final LongAdder filtered = new LongAdder();

	private final LongAdder skipped = new LongAdder();

	private final Map<String, double[]> fractions = new ConcurrentHashMap<>();

	private final AtomicBoolean stopRequested = new AtomicBoolean();

	private final Set<String> warned = ConcurrentHashMap.newKeySet();

	private volatile PrintStream warnings = System.err;

	private volatile long sourceKeys;

	private volatile org.springframework.batch.core.job.JobExecution currentExecution;

	/** Clears everything for a new run. */
	public void reset() {
		this.read.reset();
		this.written.reset();
		this.filtered.reset();
		this.skipped.reset();
		this.fractions.clear();
		this.stopRequested.set(false);
		this.warned.clear();
	}

	public void setWarnings(PrintStream warnings) {
		this.warnings = warnings;
	}

	@Override
	public void warn(String message) {
		this.warnings.println("warning: " + message);
		this.warnings.flush();
	}

	/**
	 * Warns, unless the same warning was given in this run already.
	 * @param message the warning
	 */
	public void warnOnce(String message) {
		if (this.warned.add(message)) {
			warn(message);
		}
	}

	/**
	 * Runs an attempt that connects to a server or reads its state, again with the
	 * back-off while a connection is lost or refused (see
	 * {@link io.keyferry.redis.Backoff#againOnLostConnection}), warning before each retry
	 * and giving up when a stop is requested. A lost connection that Lettuce reported
	 * undescribed ends the run, once the retries are used up, with a message and a hint.
	 * @param <T> the result type
	 * @param backoff the run's back-off
	 * @param lost what the warning says was lost, e.g. {@code lost a connection while
	 * reading the source's databases}
	 * @param attempt the attempt
	 * @return the result
	 */
	public <T> T againOnLostConnection(io.keyferry.redis.Backoff backoff, String lost,
			java.util.function.Supplier<T> attempt) {
		try {
			return backoff.againOnLostConnection(attempt, this::isStopRequested, (ex, retry) -> warn(
					lost + " (" + ex.getMessage() + "); trying again (" + retry + " of " + backoff.retries() + ")"));
		}
		catch (KeyferryException ex) {
			throw ex;
		}
		catch (RuntimeException ex) {
			if (!io.keyferry.redis.RedisFailures.isLostConnection(ex)) {
				throw ex;
			}
			throw new KeyferryException(lost + ": " + ex,
					"check that both servers are up and reachable; the run is resumable: run the same command again",
					ex);
		}
	}

	public void info(String message) {
		this.warnings.println(message);
		this.warnings.flush();
	}

	@Override
	public void chunkWritten(KeyCounts counts) {
		this.read.add(counts.read());
		this.written.add(counts.written());
		this.filtered.add(counts.filtered());
		this.skipped.add(counts.skippedTotal());
	}

	/**
	 * Records how far a partition has scanned.
	 * @param partition the partition's name
	 * @param fraction its position, 0 to 1
	 * @param weight its share of the whole keyspace
	 */
	@Override
	public void position(String partition, double fraction, double weight) {
		this.fractions.put(partition, new double[] { fraction, weight });
	}

	/**
	 * How far the whole scan is, weighting each partition by its share.
	 * @return 0 to 1, or -1 before any partition reported
	 */
	public double fraction() {
		if (this.fractions.isEmpty()) {
			return -1;
		}
		double total = 0;
		for (double[] f : this.fractions.values()) {
			total += f[0] * f[1];
		}
		return Math.min(1, total);
	}

	public long read() {
		return this.read.sum();
	}

	public long written() {
		return this.written.sum();
	}

	public long filtered() {
		return this.filtered.sum();
	}

	public long skipped() {
		return this.skipped.sum();
	}

	public long sourceKeys() {
		return this.sourceKeys;
	}

	public void setSourceKeys(long sourceKeys) {
		this.sourceKeys = sourceKeys;
	}

	public org.springframework.batch.core.job.JobExecution currentExecution() {
		return this.currentExecution;
	}

	public void setCurrentExecution(org.springframework.batch.core.job.JobExecution execution) {
		this.currentExecution = execution;
	}

	/** Asks every partition to stop at its next chunk boundary and abandon retries. */
	public void requestStop() {
		this.stopRequested.set(true);
	}

	@Override
	public boolean isStopRequested() {
		return this.stopRequested.get();
	}

}
