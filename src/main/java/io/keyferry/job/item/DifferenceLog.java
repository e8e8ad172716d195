package io.keyferry.job.item;

import java.util.List;

import io.keyferry.redis.KeyVerdict;

/**
 * Where a verify run records the keys that differ, in the caller's transaction (see
 * {@code repository.Differences}). A key recorded again replaces its earlier record, so a
 * page read again after a resume does not count a key twice; the same name in two
 * databases is two keys.
 */
public interface DifferenceLog {

	/**
	 * Records differences.
	 * @param runId the run (job instance)
	 * @param jobExecutionId the execution that found them
	 * @param database the database they differ in ({@code --all-databases}), {@code null}
	 * when the endpoints name it
	 * @param pass the pass (1 for the scan of the source)
	 * @param differences the verdicts of keys that differ
	 */
	void record(long runId, long jobExecutionId, Integer database, int pass, List<KeyVerdict> differences);

}
