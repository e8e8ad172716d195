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
		return launch(top, overrides, loggingReady, (context) -> {
			CopyLauncher launcher = context.getBean(CopyLauncher.class);
			return new Launch(launcher::stopCurrent, () -> call.apply(launcher));
		}, output);
	}

	/**
	 * What a command runs in its context: how to stop it and the run itself.
	 *
	 * @param stop asks the run to stop (signals)
	 * @param run runs it
	 */
	record Launch(Runnable stop, java.util.function.Supplier<CopyOutcome> run) {
	}

	/**
	 * Runs a launch in a new context, with progress, signals and the summary.
	 * @param top the top-level command
	 * @param overrides the job repository's properties
	 * @param loggingReady started once logging is set up (or {@code null})
	 * @param launch builds the launch from the context
	 * @param output how to report
	 * @return the exit code
	 */
	static int launch(KeyferryCommand top, Map<String, Object> overrides, Runnable loggingReady,
			java.util.function.Function<ConfigurableApplicationContext, Launch> launch, RunOutput output) {
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
			Launch started = launch.apply(context);
			RunMonitor monitor = context.getBean(RunMonitor.class);
			monitor.setWarnings(top.err);
			if (top.mainProcess) {
				SignalStop.install(started.stop(), top.err);
			}
			CopyOutcome outcome;
			try (ProgressReporter reporter = new ProgressReporter(monitor, top.err, every, bar)) {
				outcome = started.run().get();
			}
			int exitCode = RunPrinter.print(outcome, output.json, top.stacktrace, top.out, top.err);
			top.resultPrinted = true;
			return exitCode;
		}
	}

}
