package io.keyferry.redis;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import io.keyferry.KeyferryException;

/**
 * Retries with exponential back-off for transient Redis failures. Immutable and
 * thread-safe.
 *
 * @param retries how many times a failed attempt is retried
 * @param initial the first delay
 * @param max the longest delay
 */
public record Backoff(int retries, Duration initial, Duration max) {

	/** Five retries from 200 ms up to 5 s: about 12 s in all. */
	public static final Backoff DEFAULT = new Backoff(5, Duration.ofMillis(200), Duration.ofSeconds(5));

	/**
	 * The delay before the given retry.
	 * @param retry the retry, from 1
	 * @return the delay
	 */
	public Duration delay(int retry) {
		long millis = this.initial.toMillis() << Math.min(retry - 1, 20);
		return Duration.ofMillis(Math.min(millis, this.max.toMillis()));
	}

	/**
	 * Sleeps before a retry, unless the run is being stopped.
	 * @param retry the retry, from 1
	 * @param stopping whether a stop was requested
	 * @throws StopRequestedException when a stop was requested
	 */
	public void pause(int retry, BooleanSupplier stopping) {
		long until = System.nanoTime() + delay(retry).toNanos();
		while (System.nanoTime() < until) {
			if (stopping.getAsBoolean()) {
				throw new StopRequestedException();
			}
			try {
				Thread.sleep(Math.min(50, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new StopRequestedException();
			}
		}
	}

	/**
	 * Runs an attempt, retrying transient failures; fatal ones and exhausted retries are
	 * handed to {@code failure} for a message. A failure the attempt described already
	 * ({@link KeyferryException}) is retried when it is a connection lost or refused (the
	 * attempt opened a connection to a server that is restarting), and thrown as it is.
	 * @param <T> the result type
	 * @param attempt the attempt
	 * @param stopping whether a stop was requested (checked between attempts)
	 * @param failure turns the last failure into the exception to throw
	 * @return the result
	 */
	public <T> T call(java.util.function.Supplier<T> attempt, BooleanSupplier stopping,
			java.util.function.Function<Throwable, RuntimeException> failure) {
		try {
			// described already: retried only when a connection was lost or refused (a
			// new connection to a server restarting), never a refusal or a stop
			return retrying(attempt, stopping, (ex) -> (ex instanceof KeyferryException) ? lostOrRefused(ex)
					: RedisFailures.classify(ex) == RedisFailures.Kind.TRANSIENT, (ex, retry) -> {
					});
		}
		catch (KeyferryException ex) {
			throw ex;
		}
		catch (RuntimeException ex) {
			throw failure.apply(ex);
		}
	}

	/**
	 * Runs an attempt that opens connections or reads a server's state once a run has
	 * reached its servers, again while it fails because a connection was lost or refused
	 * (a server restarting, a network blip); any other failure, and the last one once the
	 * retries are used up, is thrown as it is.
	 * @param <T> the result type
	 * @param attempt the attempt, which opens what it needs and closes it on failure
	 * @param stopping whether a stop was requested (checked between attempts)
	 * @param retrying told of each failure tried again, with the retry's number from 1
	 * @return the result
	 */
	public <T> T againOnLostConnection(java.util.function.Supplier<T> attempt, BooleanSupplier stopping,
			java.util.function.ObjIntConsumer<RuntimeException> retrying) {
		return retrying(attempt, stopping, Backoff::lostOrRefused, retrying);
	}

	private static boolean lostOrRefused(RuntimeException failure) {
		return RedisFailures.isLostConnection(failure) || RedisFailures.isRestarting(failure);
	}

	private <T> T retrying(java.util.function.Supplier<T> attempt, BooleanSupplier stopping,
			java.util.function.Predicate<RuntimeException> retried,
			java.util.function.ObjIntConsumer<RuntimeException> before) {
		for (int retry = 1;; retry++) {
			try {
				return attempt.get();
			}
			catch (RuntimeException ex) {
				if (!retried.test(ex) || retry > this.retries) {
					throw ex;
				}
				before.accept(ex, retry);
				pause(retry, stopping);
			}
		}
	}

	/** Thrown when a retry is abandoned because the run is stopping. */
	public static final class StopRequestedException extends KeyferryException {

		public StopRequestedException() {
			super("stopped while retrying", "the run is resumable: run the same command again");
		}

	}

}
