package io.keyferry.job;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A test hook, not a feature: when the environment variable {@value #VARIABLE} names a
 * point, the first thread to reach it prints {@code keyferry: halted at <point>} to
 * stderr and every thread that reaches it blocks until the process is killed, so that a
 * test can kill (or signal) the packaged jar at a chosen instant. Points:
 * {@code before-execution} (the run's job instance exists, its execution does not yet),
 * {@code before-owner} (the execution exists, its owner is not recorded yet),
 * {@code partition-connected} (a partition has connected to the node it scans and has
 * asked it nothing yet), {@code stopping} (a stop was requested and a partition is about
 * to end), {@code chunk-commit} (a chunk's transaction has written to the job repository
 * and is about to commit), {@code fix-page} ({@code verify --fix} has written a page of
 * keys and not yet committed its position), {@code delete-marked}
 * ({@code copy --delete-missing} committed a page's keys to delete and is about to check
 * them against the source again), {@code delete-unlinked} ({@code copy --delete-missing}
 * deleted a page's keys and has not committed their count), {@code extra-recorded}
 * ({@code verify --extra} recorded the extra keys of a page that is not its unit's first,
 * and has not committed them with the scan's position). When {@value #UNTIL_VARIABLE}
 * names a file, the halt ends once that file exists instead. Does nothing when the
 * variable is unset. Thread-safe.
 */
public final class TestHalt {

	static final String VARIABLE = "KEYFERRY_TEST_HALT_AT";

	static final String UNTIL_VARIABLE = "KEYFERRY_TEST_HALT_UNTIL";

	private static final String POINT = System.getenv(VARIABLE);

	private static final String UNTIL = System.getenv(UNTIL_VARIABLE);

	private static final AtomicBoolean REPORTED = new AtomicBoolean();

	private TestHalt() {
	}

	/**
	 * Blocks when the test hook names this point: until the process ends, or until the
	 * file named by {@value #UNTIL_VARIABLE} exists.
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
		while (UNTIL == null || !Files.exists(Path.of(UNTIL))) {
			try {
				Thread.sleep((UNTIL != null) ? 20 : Long.MAX_VALUE);
			}
			catch (InterruptedException ex) {
				// only the end of the process ends the halt
			}
		}
	}

}
