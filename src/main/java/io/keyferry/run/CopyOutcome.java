package io.keyferry.run;

import java.util.List;

import io.keyferry.KeyferryException;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;

/**
 * How a copy execution ended: the execution as stored in the repository, and the failure
 * that ended it, if any.
 *
 * @param execution the execution reloaded from the repository
 * @param failures the failures of the execution and its steps, in-process
 */
public record CopyOutcome(JobExecution execution, List<Throwable> failures) {

	public BatchStatus status() {
		return this.execution.getStatus();
	}

	/**
	 * The failure to show the operator: the first expected one with a hint, otherwise the
	 * first failure.
	 * @return the failure or {@code null}
	 */
	public Throwable failure() {
		for (Throwable failure : this.failures) {
			if (KeyferryException.find(failure) != null) {
				return KeyferryException.find(failure);
			}
		}
		return this.failures.isEmpty() ? null : this.failures.get(0);
	}

}
