package io.keyferry.cli;

import java.time.Duration;
import java.util.Map;

import io.keyferry.job.BatchRuntime;
import io.keyferry.run.CopyLauncher;
import io.keyferry.run.CopyOutcome;
import io.keyferry.run.ProgressReporter;
import io.keyferry.job.RunMonitor;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Runs a copy or a resume inside a Spring context, with progress, signals and the
 * summary.
 */
final class Runs {

	private Runs() {
	}

	/**
	 * Runs the call in a new context.
	 * @param top the top-level command
	 * @param overrides the job repository's properties
	 * @param loggingReady started once logging is set up, while the context starts (or
	 * {@code null})
	 * @param call what to run
	 * @param output how to report
	 * @return the exit code
	 */
	static int run(KeyferryCommand top, Map<String, Object> overrides, Runnable loggingReady,
			CopyCommand.LauncherCall call, RunOutput output) {
		String progress = output.progress;
		boolean bar = switch (progress) {
			case "bar" -> true;
			case "plain", "off" -> false;
			case "auto" -> System.console() != null;
			default -> throw io.keyferry.KeyferryException.usage("invalid --progress '" + progress + "'",
					"use auto, bar, plain or off");
		};
		Duration every = "off".equals(progress) ? Duration.ZERO : output.progressInterval;
		try (ConfigurableApplicationContext context = BatchRuntime.start(top.home(), top.verbose, overrides,
				loggingReady)) {
			CopyLauncher launcher = context.getBean(CopyLauncher.class);
			RunMonitor monitor = context.getBean(RunMonitor.class);
			monitor.setWarnings(top.err);
			if (top.mainProcess) {
				SignalStop.install(launcher::stopCurrent, top.err);
			}
			CopyOutcome outcome;
			try (ProgressReporter reporter = new ProgressReporter(monitor, top.err, every, bar)) {
				outcome = call.apply(launcher);
			}
			int exitCode = RunPrinter.print(outcome, output.json, top.stacktrace, top.out, top.err);
			top.resultPrinted = true;
			return exitCode;
		}
	}

}
