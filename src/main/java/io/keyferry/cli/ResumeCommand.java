package io.keyferry.cli;

import java.util.concurrent.Callable;

import io.keyferry.job.JobNames;
import io.keyferry.redis.Endpoint;
import io.keyferry.run.CopyLauncher;
import io.keyferry.run.VerifyLauncher;
import org.springframework.batch.core.job.JobExecution;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code keyferry resume}: resumes an unfinished run from its last checkpoint. */
@Command(name = "resume", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
		description = {
				"Resume the given execution's run, or the latest unfinished run (copy or verify), from its last checkpoint.",
				"An execution left running by a killed process is recovered first (only when that process is really gone).",
				"Credentials are never stored: give the URIs again, or set KEYFERRY_SOURCE_PASSWORD / KEYFERRY_TARGET_PASSWORD.",
				"TLS files are found again by the paths the run was started with; TLS options given here replace them for that side." })
public class ResumeCommand implements Callable<Integer> {

	@ParentCommand
	KeyferryCommand parent;

	@Parameters(index = "0", arity = "0..1", paramLabel = "EXECUTION_ID",
			description = "An execution of the run to resume: the EXEC column of keyferry history, executionId in JSON (default: the latest unfinished run).")
	Long executionId;

	@Option(names = "--source", paramLabel = "URI", description = "The run's source URI, for its password.")
	String source;

	@Option(names = "--target", paramLabel = "URI", description = "The run's target URI, for its password.")
	String target;

	@Mixin
	TlsOptions tls = new TlsOptions();

	@Mixin
	RunOutput output = new RunOutput();

	@Override
	public Integer call() {
		Endpoint sourceEndpoint = (this.source != null) ? Endpoint.parse("source", this.source) : null;
		Endpoint targetEndpoint = (this.target != null) ? Endpoint.parse("target", this.target) : null;
		java.util.Map<String, Object> repository = this.parent.repository();
		io.keyferry.job.BatchRuntime.requireRepository(this.parent.home(), repository);
		return Runs.launch(this.parent, repository, null, (context) -> {
			CopyLauncher copy = context.getBean(CopyLauncher.class);
			VerifyLauncher verify = context.getBean(VerifyLauncher.class);
			return new Runs.Launch(copy::stopCurrent, () -> {
				JobExecution execution = copy.resumable(this.executionId);
				return JobNames.VERIFY_JOB.equals(execution.getJobInstance().getJobName())
						? verify.resume(execution, sourceEndpoint, targetEndpoint, this::withTls)
						: copy.resume(execution, sourceEndpoint, targetEndpoint, this::withTls);
			});
		}, this.output);
	}

	/**
	 * The run's stored TLS settings of a side, or those given again for it; checked.
	 */
	private Endpoint withTls(Endpoint stored) {
		Endpoint endpoint = this.tls.side(stored.role()).isCustomized() ? this.tls.apply(stored)
				: stored.withTls(stored.tlsSettings().validate(stored.role(), stored.tls()));
		TlsOptions.warnIfInsecure(endpoint, this.parent.err);
		return endpoint;
	}

}
