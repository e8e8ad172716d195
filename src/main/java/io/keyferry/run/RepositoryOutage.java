package io.keyferry.run;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

import io.keyferry.KeyferryException;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * A lost connection to the job repository, told apart from every other failure, and the
 * wait until the repository answers again. The connection is lost when the repository's
 * server restarts or fails over (PostgreSQL) and, with the default H2 file, when another
 * keyferry process that served the file to this one exits: H2 reconnects on its own only
 * outside a transaction, so the transaction in flight fails. Stateless.
 */
final class RepositoryOutage {

	private static final Duration RETRY_EVERY = Duration.ofMillis(500);

	private RepositoryOutage() {
	}

	/**
	 * The first lost connection among failures and their causes.
	 * @param failures the failures
	 * @return the failure that holds the lost connection, or {@code null}
	 */
	static Throwable find(List<Throwable> failures) {
		for (Throwable failure : failures) {
			if (isConnectionLoss(failure)) {
				return failure;
			}
		}
		return null;
	}

	/**
	 * Whether a failure, or any of its causes, is a lost connection to the repository: a
	 * JDBC connection exception (SQL state class {@code 08}, or an operator's or crash
	 * shutdown of the server, {@code 57P01}–{@code 57P03}).
	 * @param failure the failure
	 * @return whether the repository's connection was lost
	 */
	static boolean isConnectionLoss(Throwable failure) {
		Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
		for (Throwable cause = failure; cause != null && seen.add(cause); cause = cause.getCause()) {
			if (cause instanceof SQLNonTransientConnectionException || cause instanceof SQLTransientConnectionException
					|| cause instanceof SQLRecoverableException) {
				return true;
			}
			if (cause instanceof SQLException sql && sql.getSQLState() != null) {
				String state = sql.getSQLState();
				if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")) {
					return true;
				}
			}
		}
		return false;
	}

	/**
	 * Waits until the repository answers a query.
	 * @param jdbc the repository
	 * @param patience how long to wait at most
	 * @throws KeyferryException when it does not answer in time
	 */
	static void awaitAnswer(JdbcTemplate jdbc, Duration patience) {
		long deadline = System.nanoTime() + patience.toNanos();
		while (true) {
			try {
				jdbc.queryForObject("SELECT 1", Integer.class);
				return;
			}
			catch (DataAccessException ex) {
				if (System.nanoTime() - deadline >= 0) {
					throw new KeyferryException(
							"the job repository did not answer for " + patience.toSeconds() + " s: "
									+ ex.getMostSpecificCause().getMessage(),
							"the run is resumable: once the repository answers, run the same command again", ex);
				}
			}
			try {
				Thread.sleep(RETRY_EVERY.toMillis());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new KeyferryException("interrupted while waiting for the job repository",
						"the run is resumable: run the same command again", ex);
			}
		}
	}

}
