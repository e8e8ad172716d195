package io.keyferry.testsupport;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.keyferry.repository.RepositorySchema;

import static org.assertj.core.api.Assertions.fail;

/**
 * Reads the default H2 job repository of a keyferry home from the test, with plain JDBC.
 * The URL has {@code AUTO_SERVER=TRUE}, so a query made while a keyferry process has the
 * database open goes through that process's H2 server; each query opens and closes its
 * own connection, so the test never keeps the database open, and {@code IFEXISTS=TRUE}
 * keeps it from creating one. Query a running process only once it has opened the
 * database (it says "starting run" or "resuming run"): otherwise the test's JVM would
 * open the file first and become the database server. Not thread-safe.
 */
public final class RepositoryProbe {

	/** The partitions of copy and verify runs. */
	private static final String PARTITION_STEPS = "%-partition:%";

	private final String url;

	public RepositoryProbe(Path home) {
		// as keyferry does: an H2 auto-server started here listens on loopback only
		System.setProperty("h2.bindAddress", "127.0.0.1");
		this.url = "jdbc:h2:file:" + home.resolve("repository").resolve("keyferry")
				+ ";AUTO_SERVER=TRUE;IFEXISTS=TRUE;TRACE_LEVEL_FILE=0";
	}

	/**
	 * The chunks committed so far by the partitions of the executions a process owns
	 * (keyferry records each execution's owner pid).
	 * @param pid the keyferry process
	 * @return the number of committed chunks
	 */
	public long committedChunks(long pid) {
		return queryLong("SELECT COALESCE(SUM(S.COMMIT_COUNT), 0) FROM BATCH_STEP_EXECUTION S JOIN "
				+ RepositorySchema.OWNER_TABLE + " O ON O.JOB_EXECUTION_ID = S.JOB_EXECUTION_ID"
				+ " WHERE O.PID = ? AND S.STEP_NAME LIKE ?", pid, PARTITION_STEPS);
	}

	/**
	 * Waits until a running copy has committed a number of chunks: it has written keys
	 * and checkpointed its cursor, and is not done yet. Fails when the process exits
	 * first.
	 * @param process the copy
	 * @param chunks the chunks to wait for
	 * @param timeout how long to wait
	 */
	public void awaitCommittedChunks(KeyferryProcess process, long chunks, Duration timeout) {
		long deadline = System.nanoTime() + timeout.toNanos();
		process.awaitStderr(timeout, "starting run", "resuming run");
		long committed = 0;
		while (true) {
			if (!process.isAlive()) {
				fail("keyferry exited after " + committed + " of the " + chunks + " committed chunks waited for\n"
						+ process.describe());
			}
			committed = committedChunks(process.pid());
			if (committed >= chunks) {
				return;
			}
			if (System.nanoTime() > deadline) {
				fail("keyferry committed " + committed + " of " + chunks + " chunks within " + timeout.toSeconds()
						+ " s\n" + process.describe());
			}
			RedisServer.pause(100);
		}
	}

	/**
	 * The newest job execution.
	 * @return its id, 0 when there is none
	 */
	public long latestExecutionId() {
		return queryLong("SELECT MAX(JOB_EXECUTION_ID) FROM BATCH_JOB_EXECUTION");
	}

	/**
	 * The last heartbeat that the owner of an execution recorded (epoch ms, on its host's
	 * clock).
	 * @param executionId the execution
	 * @return the heartbeat, 0 when no owner was recorded
	 */
	public long ownerHeartbeat(long executionId) {
		return queryLong("SELECT HEARTBEAT FROM " + RepositorySchema.OWNER_TABLE + " WHERE JOB_EXECUTION_ID = ?",
				executionId);
	}

	/**
	 * When a job execution started (epoch ms).
	 * @param executionId the execution
	 * @return the start
	 */
	public long startTime(long executionId) {
		Object start = query("SELECT START_TIME FROM BATCH_JOB_EXECUTION WHERE JOB_EXECUTION_ID = ?", executionId);
		return (start instanceof java.time.LocalDateTime local)
				? local.atZone(java.time.ZoneId.systemDefault()).toInstant().toEpochMilli()
				: ((java.sql.Timestamp) start).getTime();
	}

	/**
	 * The number of job executions.
	 * @return how many there are
	 */
	public long executionCount() {
		return queryLong("SELECT COUNT(*) FROM BATCH_JOB_EXECUTION");
	}

	/**
	 * The number of job executions whose recorded owner is not the given process.
	 * @param pid the process
	 * @return how many there are
	 */
	public long executionsNotOwnedBy(long pid) {
		return queryLong("SELECT COUNT(*) FROM BATCH_JOB_EXECUTION E WHERE NOT EXISTS (SELECT 1 FROM "
				+ RepositorySchema.OWNER_TABLE + " O WHERE O.JOB_EXECUTION_ID = E.JOB_EXECUTION_ID AND O.PID = ?)",
				pid);
	}

	/**
	 * The run (job instance) of a job execution.
	 * @param executionId the execution
	 * @return the run id
	 */
	public long runId(long executionId) {
		return queryLong("SELECT JOB_INSTANCE_ID FROM BATCH_JOB_EXECUTION WHERE JOB_EXECUTION_ID = ?", executionId);
	}

	/**
	 * The status of a job execution.
	 * @param executionId the execution
	 * @return e.g. {@code STOPPED}
	 */
	public String jobStatus(long executionId) {
		return queryString("SELECT STATUS FROM BATCH_JOB_EXECUTION WHERE JOB_EXECUTION_ID = ?", executionId);
	}

	/**
	 * The status of each step execution of a job execution.
	 * @param executionId the job execution
	 * @return step name (e.g. {@code copy}, {@code copy-partition:node0.range0}) to
	 * status
	 */
	public Map<String, String> stepStatuses(long executionId) {
		Map<String, String> statuses = new LinkedHashMap<>();
		try (Connection connection = connect();
				PreparedStatement statement = connection.prepareStatement(
						"SELECT STEP_NAME, STATUS FROM BATCH_STEP_EXECUTION WHERE JOB_EXECUTION_ID = ? ORDER BY STEP_EXECUTION_ID")) {
			statement.setLong(1, executionId);
			try (ResultSet rs = statement.executeQuery()) {
				while (rs.next()) {
					statuses.put(rs.getString(1), rs.getString(2));
				}
			}
		}
		catch (SQLException ex) {
			throw failure(ex);
		}
		return statuses;
	}

	/**
	 * Runs one update statement (waiting up to 10 s for row locks held by a running
	 * copy's chunk).
	 * @param sql the statement
	 * @param args its arguments
	 * @return the update count
	 */
	public int update(String sql, Object... args) {
		try (Connection connection = connect()) {
			try (PreparedStatement lockTimeout = connection.prepareStatement("SET LOCK_TIMEOUT 10000")) {
				lockTimeout.execute();
			}
			try (PreparedStatement statement = connection.prepareStatement(sql)) {
				for (int i = 0; i < args.length; i++) {
					statement.setObject(i + 1, args[i]);
				}
				return statement.executeUpdate();
			}
		}
		catch (SQLException ex) {
			throw failure(ex);
		}
	}

	private long queryLong(String sql, Object... args) {
		Object value = query(sql, args);
		return (value != null) ? ((Number) value).longValue() : 0;
	}

	private String queryString(String sql, Object... args) {
		Object value = query(sql, args);
		return (value != null) ? value.toString() : null;
	}

	private Object query(String sql, Object... args) {
		try (Connection connection = connect(); PreparedStatement statement = connection.prepareStatement(sql)) {
			for (int i = 0; i < args.length; i++) {
				statement.setObject(i + 1, args[i]);
			}
			try (ResultSet rs = statement.executeQuery()) {
				return rs.next() ? rs.getObject(1) : null;
			}
		}
		catch (SQLException ex) {
			throw failure(ex);
		}
	}

	private Connection connect() throws SQLException {
		return DriverManager.getConnection(this.url, "sa", "");
	}

	private IllegalStateException failure(SQLException ex) {
		return new IllegalStateException("cannot read the job repository " + this.url + ": " + ex.getMessage(), ex);
	}

}
