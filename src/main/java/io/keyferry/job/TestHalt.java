package io.keyferry.job;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A test hook, not a feature: when the environment variable {@value #VARIABLE} names a
 * point, the first thread to reach it prints {@code keyferry: halted at <point>} to
 * stderr and every thread that reaches it blocks until the process is killed, so that a
 * test can kill (or signal) the packaged jar at a chosen instant. Points:
 * {@code before-execution} (the run's job instance exists, its execution does not yet),
 * {@code before-owner} (the execution exists, its owner is not recorded yet),
 * {@code stopping} (a stop was requested and a partition is about to end). Does nothing
 * when the variable is unset. Thread-safe.
 */
public final class TestHalt {

	static final String VARIABLE = "KEYFERRY_TEST_HALT_AT";

	private static final String POINT = System.getenv(VARIABLE);

	private static final AtomicBoolean REPORTED = new AtomicBoolean();

	private TestHalt() {
	}

	/**
	 * Blocks forever when the test hook names this point.
	 * @param point the point's name
	 */
	public static void at(String point) {
		if (POINT == null || !POINT.equals(point)) {
			return;
		}
		if (REPORTED.compareAndSet(false, true)) {
			System.err.println("keyferry: halted at " + point);
			System.err.flush();
		}
		while (true) {
			try {
				Thread.sleep(Long.MAX_VALUE);
			}
			catch (InterruptedException ex) {
				// only the end of the process ends the halt
			}
		}
	}

}
