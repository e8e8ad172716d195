package io.keyferry.repository;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.LocalDateTime;
import java.util.HexFormat;
import java.util.List;

import io.keyferry.job.item.DifferenceLog;
import io.keyferry.job.item.VerifyCounts;
import io.keyferry.redis.DifferenceKind;
import io.keyferry.redis.KeyVerdict;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The keys that differ in each verify run, in keyferry's own table of the job repository:
 * one row per key (per key and database in a run of every database), replaced when the
 * key is recorded again (a page read again after a resume, a later pass), deleted when a
 * later pass finds the key equal. So the rows of a run are its differences as last seen.
 * Every write joins the caller's transaction. Thread-safe.
 */
public class Differences implements DifferenceLog {

	private static final int MAX_DETAIL = 1000;

	private final JdbcTemplate jdbc;

	public Differences(JdbcTemplate jdbc) {
		this.jdbc = jdbc;
	}

	/**
	 * A recorded difference.
	 *
	 * @param id the row's id (rows of a run are visited in id order)
	 * @param database the database the key differs in ({@code verify --all-databases}),
	 * {@code null} in a run of the databases its URIs name
	 * @param key the key
	 * @param kind how it differs
	 * @param detail what differs
	 * @param pass the pass that last found it different
	 */
	public record Difference(long id, Integer database, byte[] key, DifferenceKind kind, String detail, int pass) {
	}

	@Override
	public void record(long runId, long jobExecutionId, Integer database, int pass, List<KeyVerdict> differences) {
		if (differences.isEmpty()) {
			return;
		}
		this.jdbc.batchUpdate(
				"DELETE FROM " + RepositorySchema.DIFFERENCE_TABLE
						+ " WHERE JOB_INSTANCE_ID = ? AND KEY_HASH = ? AND KEY_NAME = ? AND "
						+ RepositorySchema.DIFFERENCE_DATABASE + " IS NOT DISTINCT FROM ?",
				differences, 500, (ps, verdict) -> {
					ps.setLong(1, runId);
					ps.setString(2, hash(verdict.key()));
					ps.setBytes(3, verdict.key());
					ps.setObject(4, database, Types.INTEGER);
				});
		Timestamp now = Timestamp.valueOf(LocalDateTime.now());
		this.jdbc.batchUpdate("INSERT INTO " + RepositorySchema.DIFFERENCE_TABLE
				+ " (JOB_INSTANCE_ID, JOB_EXECUTION_ID, " + RepositorySchema.DIFFERENCE_DATABASE
				+ ", KEY_HASH, KEY_NAME, KIND, DETAIL, PASS, CREATE_TIME)" + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
				differences, 500, (ps, verdict) -> {
					ps.setLong(1, runId);
					ps.setLong(2, jobExecutionId);
					ps.setObject(3, database, Types.INTEGER);
					ps.setString(4, hash(verdict.key()));
					ps.setBytes(5, verdict.key());
					ps.setString(6, verdict.kind().id());
					ps.setString(7, truncate(verdict.detail()));
					ps.setInt(8, pass);
					ps.setTimestamp(9, now);
				});
	}

	/**
	 * Updates a row that a later pass found still different.
	 * @param id the row
	 * @param kind how it differs now
	 * @param detail what differs now
	 * @param pass the pass
	 */
	public void update(long id, DifferenceKind kind, String detail, int pass) {
		this.jdbc.update(
				"UPDATE " + RepositorySchema.DIFFERENCE_TABLE + " SET KIND = ?, DETAIL = ?, PASS = ? WHERE ID = ?",
				kind.id(), truncate(detail), pass, id);
	}

	/**
	 * Deletes a row whose key a later pass found equal.
	 * @param id the row
	 */
	public void delete(long id) {
		this.jdbc.update("DELETE FROM " + RepositorySchema.DIFFERENCE_TABLE + " WHERE ID = ?", id);
	}

	/**
	 * The run's rows after an id, in id order.
	 * @param runId the run
	 * @param afterId the last id seen (0 for the first page)
	 * @param limit the most to return
	 * @return the rows
	 */
	public List<Difference> page(long runId, long afterId, int limit) {
		JdbcTemplate limited = new JdbcTemplate(this.jdbc.getDataSource());
		limited.setMaxRows(limit);
		return limited.query(
				"SELECT ID, " + RepositorySchema.DIFFERENCE_DATABASE + ", KEY_NAME, KIND, DETAIL, PASS FROM "
						+ RepositorySchema.DIFFERENCE_TABLE + " WHERE JOB_INSTANCE_ID = ? AND ID > ? ORDER BY ID",
				(rs, row) -> new Difference(rs.getLong(1), rs.getObject(2, Integer.class), rs.getBytes(3),
						DifferenceKind.of(rs.getString(4)), rs.getString(5), rs.getInt(6)),
				runId, afterId);
	}

	/**
	 * The run's differences by kind.
	 * @param runId the run
	 * @return the counts (checked and read are 0)
	 */
	public VerifyCounts counts(long runId) {
		VerifyCounts counts = new VerifyCounts();
		this.jdbc.query("SELECT KIND, COUNT(*) FROM " + RepositorySchema.DIFFERENCE_TABLE
				+ " WHERE JOB_INSTANCE_ID = ? GROUP BY KIND", (rs) -> {
					counts.add(DifferenceKind.of(rs.getString(1)), rs.getLong(2));
				}, runId);
		return counts;
	}

	/**
	 * Deletes a run's rows (pruning).
	 * @param runId the run
	 * @return rows deleted
	 */
	public int deleteRun(long runId) {
		return this.jdbc.update("DELETE FROM " + RepositorySchema.DIFFERENCE_TABLE + " WHERE JOB_INSTANCE_ID = ?",
				runId);
	}

	private static String truncate(String detail) {
		return (detail != null && detail.length() > MAX_DETAIL) ? detail.substring(0, MAX_DETAIL) : detail;
	}

	static String hash(byte[] key) {
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key), 0, 16);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
