package io.keyferry.job.item;

import java.util.List;

import io.keyferry.redis.RestoreResult;

/**
 * Where the writer records the keys it skipped, in the chunk's transaction (see
 * {@code repository.SkippedKeys}).
 */
public interface SkipLog {

	/**
	 * Records skipped keys.
	 * @param jobExecutionId the job execution
	 * @param stepExecutionId the partition's step execution
	 * @param skips the skipped keys' results
	 */
	void record(long jobExecutionId, long stepExecutionId, List<RestoreResult> skips);

}
