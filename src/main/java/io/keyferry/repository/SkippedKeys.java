package io.keyferry.repository;

import java.sql.Timestamp;
import java.time.LocalDateTime;
import java.util.List;

import io.keyferry.redis.RestoreResult;
import io.keyferry.job.item.SkipLog;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The skipped keys of each execution, with their reasons, in keyferry's own table of the
 * job repository. {@link #record} joins the caller's transaction (the chunk's), so skip
 * records commit or roll back with the chunk. Thread-safe.
 */
public class SkippedKeys implements SkipLog {

	private static final int MAX_DETAIL = 1000;

	private final JdbcTemplate jdbc;

	public SkippedKeys(JdbcTemplate jdbc) {
		this.jdbc = jdbc;
	}

	/**
	 * A recorded skip.
	 *
	 * @param key the key
	 * @param reason the reason id
	 * @param detail the target's reply
	 */
	public record SkippedKey(byte[] key, String reason, String detail) {
	}

	@Override
	public void record(long jobExecutionId, long stepExecutionId, List<RestoreResult> skips) {
		if (skips.isEmpty()) {
			return;
		}
		Timestamp now = Timestamp.valueOf(LocalDateTime.now());
		this.jdbc.batchUpdate("INSERT INTO " + RepositorySchema.SKIPPED_KEY_TABLE
				+ " (JOB_EXECUTION_ID, STEP_EXECUTION_ID, KEY_NAME, REASON, DETAIL, CREATE_TIME) VALUES (?, ?, ?, ?, ?, ?)",
				skips, 500, (ps, skip) -> {
					ps.setLong(1, jobExecutionId);
					ps.setLong(2, stepExecutionId);
					ps.setBytes(3, skip.dump().key());
					ps.setString(4, skip.reason().id());
					String detail = skip.detail();
					ps.setString(5, (detail != null && detail.length() > MAX_DETAIL) ? detail.substring(0, MAX_DETAIL)
							: detail);
					ps.setTimestamp(6, now);
				});
	}

	/**
	 * The skipped keys of an execution, oldest first.
	 * @param jobExecutionId the execution
	 * @param limit the most to return
	 * @return the skips
	 */
	public List<SkippedKey> find(long jobExecutionId, int limit) {
		this.jdbc.setMaxRows(limit);
		try {
			return this.jdbc.query(
					"SELECT KEY_NAME, REASON, DETAIL FROM " + RepositorySchema.SKIPPED_KEY_TABLE
							+ " WHERE JOB_EXECUTION_ID = ? ORDER BY CREATE_TIME, STEP_EXECUTION_ID",
					(rs, row) -> new SkippedKey(rs.getBytes(1), rs.getString(2), rs.getString(3)), jobExecutionId);
		}
		finally {
			this.jdbc.setMaxRows(-1);
		}
	}

	public long count(long jobExecutionId) {
		Long count = this.jdbc.queryForObject(
				"SELECT COUNT(*) FROM " + RepositorySchema.SKIPPED_KEY_TABLE + " WHERE JOB_EXECUTION_ID = ?",
				Long.class, jobExecutionId);
		return (count != null) ? count : 0;
	}

}
