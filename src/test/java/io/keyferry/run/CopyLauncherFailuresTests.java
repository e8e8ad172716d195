package io.keyferry.run;

import io.keyferry.job.JobNames;
import io.lettuce.core.RedisCommandExecutionException;
import org.junit.jupiter.api.Test;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobExecutionException;
import org.springframework.batch.core.step.FatalStepExecutionException;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.test.MetaDataInstanceFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests of how {@link CopyLauncher} gathers an execution's failures: the cause a
 * partition failed with comes before the partitioned step's "Partition handler returned
 * an unsuccessful step", whatever order Spring Batch keeps them in.
 */
class CopyLauncherFailuresTests {

	@Test
	void aPartitionsCauseComesBeforeThePartitionHandlersSummary() {
		JobExecution execution = MetaDataInstanceFactory.createJobExecution();
		JobExecutionException summary = new JobExecutionException("Partition handler returned an unsuccessful step");
		StepExecution manager = MetaDataInstanceFactory.createStepExecution(execution, JobNames.STEP, 1L);
		manager.addFailureException(summary);
		execution.addStepExecution(manager);
		execution.addFailureException(summary);
		StepExecution partition = MetaDataInstanceFactory.createStepExecution(execution,
				JobNames.PARTITION_STEP + ":node0.range0", 2L);
		FatalStepExecutionException cause = new FatalStepExecutionException("Unable to process chunk",
				new RedisCommandExecutionException("NOPERM this user has no permissions to run the 'type' command"));
		partition.addFailureException(cause);
		execution.addStepExecution(partition);

		CopyOutcome outcome = new CopyOutcome(execution, CopyLauncher.failures(execution));

		assertThat(outcome.failures()).containsExactly(cause, summary);
		assertThat(outcome.failure()).isSameAs(cause);
	}

}
