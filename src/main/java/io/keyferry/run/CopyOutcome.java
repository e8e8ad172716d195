package io.keyferry.run;

import java.util.List;

import io.keyferry.KeyferryException;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;

/**
 * How a copy execution ended: the execution as stored in the repository, the failure that
 * ended it, if any, and for {@code copy --verify} how the verify that followed it ended.
 *
 * @param execution the execution reloaded from the repository
 * @param failures the failures of the execution and its steps, in-process
 * @param verify the outcome of the verify run after the copy, {@code null} when none ran
 */
public record CopyOutcome(JobExecution execution, List<Throwable> failures, CopyOutcome verify) {

	public CopyOutcome(JobExecution execution, List<Throwable> failures) {
		this(execution, failures, null);
	}

	/**
	 * This outcome followed by a verify's.
	 * @param verified how the verify ended
	 * @return the combined outcome
	 */
	public CopyOutcome withVerify(CopyOutcome verified) {
		return new CopyOutcome(this.execution, this.failures, verified);
	}

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
