package io.keyferry.job;

import io.keyferry.KeyferryException;
import io.keyferry.redis.Backoff;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.step.StepExecution;

/**
 * Makes a partition that was stopped while waiting to retry end STOPPED rather than
 * FAILED: its chunk was rolled back, the checkpoint is the last committed one, and a stop
 * is what the operator asked for.
 */
class StopOnRequest implements StepExecutionListener {

	private final RunMonitor monitor;

	StopOnRequest(RunMonitor monitor) {
		this.monitor = monitor;
	}

	@Override
	public ExitStatus afterStep(StepExecution stepExecution) {
		if (stepExecution.getStatus() == BatchStatus.FAILED && this.monitor.isStopRequested()
				&& stepExecution.getFailureExceptions()
					.stream()
					.anyMatch((f) -> KeyferryException.find(f) instanceof Backoff.StopRequestedException)) {
			stepExecution.setStatus(BatchStatus.STOPPED);
			return ExitStatus.STOPPED;
		}
		return null;
	}

}
