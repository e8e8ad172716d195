package io.keyferry.cli;

import java.time.Duration;
import java.util.concurrent.Callable;

import io.keyferry.job.BatchRuntime;
import io.keyferry.run.CopyLauncher;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code keyferry stop}: asks a running copy or verify (in any process sharing the job
 * repository) to stop at its next chunk boundary; it ends STOPPED with its checkpoint
 * saved.
 */
@Command(name = "stop", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
		description = "Stop a running copy or verify gracefully: it ends STOPPED at its next chunk boundary, checkpoint saved, and resumes later.")
public class StopCommand implements Callable<Integer> {

	@ParentCommand
	KeyferryCommand parent;

	@Parameters(index = "0", arity = "0..1", paramLabel = "EXECUTION_ID",
			description = "The execution to stop: the EXEC column of keyferry history (default: the latest running one).")
	Long executionId;

	@Option(names = "--wait", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
			description = "How long to wait until it has stopped (0: do not wait).")
	Duration wait;

	@Override
	public Integer call() throws InterruptedException {
		java.util.Map<String, Object> properties = this.parent.repository();
		BatchRuntime.requireRepository(this.parent.home(), properties);
		try (ConfigurableApplicationContext context = BatchRuntime.start(this.parent.home(), this.parent.verbose,
				properties)) {
			CopyLauncher launcher = context.getBean(CopyLauncher.class);
			JobRepository repository = context.getBean(JobRepository.class);
			JobExecution execution = launcher.stop(this.executionId);
			long id = execution.getId();
			this.parent.err.println("stop requested for execution " + id + "; it stops after its current chunk");
			long deadline = System.nanoTime() + this.wait.toNanos();
			while (System.nanoTime() < deadline) {
				JobExecution current = repository.getJobExecution(id);
				if (current != null && !current.isRunning()) {
					this.parent.out.println("execution " + id + " " + current.getStatus());
					return ExitCode.OK;
				}
				Thread.sleep(200);
			}
			if (this.wait.isZero()) {
				return ExitCode.OK;
			}
			this.parent.err
				.println("error: execution " + id + " has not stopped after " + this.wait.toSeconds() + " s");
			this.parent.err.println("hint: it stops at its next chunk boundary; check it with keyferry stop " + id
					+ " again, or end its process (the next resume recovers it)");
			return ExitCode.FAILED;
		}
	}

}
