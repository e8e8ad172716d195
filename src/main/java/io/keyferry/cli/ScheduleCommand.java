package io.keyferry.cli;

import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.keyferry.KeyferryException;
import io.keyferry.job.BatchRuntime;
import io.keyferry.job.CopyLauncher;
import io.keyferry.job.CopyOutcome;
import io.keyferry.job.CopySettings;
import io.keyferry.job.RunMonitor;
import io.keyferry.report.Json;
import io.keyferry.report.RunSummary;
import io.keyferry.report.Timestamps;
import org.springframework.batch.core.BatchStatus;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.scheduling.support.CronExpression;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code keyferry schedule}: one long-lived process that runs a copy at each cron tick.
 * Each tick behaves like {@code keyferry copy} (an unfinished run is resumed first); runs
 * never overlap: a tick that comes while the previous run is still going is skipped and
 * logged. One JSON line per run (and per skipped tick) on stdout for log collectors;
 * SIGTERM stops gracefully.
 */
@Command(name = "schedule", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
		description = { "Stay up and run the copy described by --config at each tick of a cron expression.",
				"A tick resumes an unfinished run first; ticks never overlap (one that comes during a run is skipped and logged).",
				"Each run prints one JSON summary line on stdout. SIGTERM stops the running copy gracefully and exits." },
		footer = { "", "Cron: six fields, second minute hour day-of-month month day-of-week (Spring's format),",
				"e.g. \"0 0 2 * * *\" every day at 02:00, \"0 */15 * * * *\" every 15 minutes." })
public class ScheduleCommand implements Callable<Integer> {

	@ParentCommand
	KeyferryCommand parent;

	@Option(names = "--cron", required = true, paramLabel = "EXPRESSION", description = "When to run.")
	String cron;

	@Option(names = "--config", required = true, paramLabel = "FILE", description = "The copy's YAML config file.")
	Path config;

	@Option(names = "--max-runs", paramLabel = "N", defaultValue = "0",
			description = "Exit after N runs (0: run until stopped).")
	int maxRuns;

	private final CountDownLatch stopped = new CountDownLatch(1);

	private volatile boolean stopRequested;

	@Override
	public Integer call() throws InterruptedException {
		CronExpression expression;
		try {
			expression = CronExpression.parse(this.cron);
		}
		catch (IllegalArgumentException ex) {
			throw KeyferryException.usage("invalid --cron '" + this.cron + "': " + ex.getMessage(),
					"use six fields: second minute hour day-of-month month day-of-week, e.g. \"0 0 2 * * *\"");
		}
		CopyCommand copy = copyFromConfig();
		CopySettings settings = copy.settings();
		try (ConfigurableApplicationContext context = BatchRuntime.start(copy.parent.home(), this.parent.verbose,
				copy.parent.repository())) {
			CopyLauncher launcher = context.getBean(CopyLauncher.class);
			RunMonitor monitor = context.getBean(RunMonitor.class);
			monitor.setWarnings(this.parent.err);
			if (this.parent.mainProcess) {
				SignalStop.install(() -> {
					this.stopRequested = true;
					this.stopped.countDown();
					launcher.stopCurrent();
				}, this.parent.err);
			}
			this.parent.err.println("scheduled: " + settings.source().redacted() + " -> " + settings.target().redacted()
					+ " at '" + this.cron + "'");
			int runs = 0;
			int code = ExitCode.OK;
			ZonedDateTime next = expression.next(ZonedDateTime.now());
			while (!this.stopRequested && (this.maxRuns == 0 || runs < this.maxRuns)) {
				if (next == null) {
					throw KeyferryException.usage("--cron '" + this.cron + "' never fires again",
							"check the expression");
				}
				long waitMillis = java.time.Duration.between(ZonedDateTime.now(), next).toMillis();
				if (waitMillis > 0 && this.stopped.await(waitMillis, TimeUnit.MILLISECONDS)) {
					break;
				}
				ZonedDateTime tick = next;
				code = runOnce(launcher, settings, tick);
				runs++;
				next = expression.next(ZonedDateTime.now());
				for (ZonedDateTime missed = expression.next(tick); missed != null
						&& missed.isBefore(next); missed = expression.next(missed)) {
					event("tick-skipped", missed, Map.of("reason", "the previous run was still going"));
				}
			}
			return (this.stopRequested && code == ExitCode.STOPPED) ? ExitCode.STOPPED : ExitCode.OK;
		}
	}

	private int runOnce(CopyLauncher launcher, CopySettings settings, ZonedDateTime tick) {
		try {
			CopyOutcome outcome = launcher.copy(settings, false);
			RunSummary summary = RunSummary.of(outcome.execution());
			Map<String, Object> fields = summary.toMap();
			if (outcome.status() != BatchStatus.COMPLETED && outcome.failure() != null) {
				KeyferryException known = KeyferryException.find(outcome.failure());
				fields.put("error", (known != null) ? known.getMessage() : RunPrinter.rootMessage(outcome.failure()));
			}
			event("run", tick, fields);
			return ExitCode.of(outcome.status());
		}
		catch (KeyferryException ex) {
			// e.g. the same run is going in another process: skip this tick
			event("tick-skipped", tick, Map.of("reason", ex.getMessage()));
			return ex.isUsage() ? ExitCode.USAGE : ExitCode.FAILED;
		}
	}

	private void event(String event, ZonedDateTime tick, Map<String, Object> fields) {
		Map<String, Object> line = new LinkedHashMap<>();
		line.put("event", event);
		line.put("tick", Timestamps.json(tick));
		line.put("time", Timestamps.now());
		line.putAll(fields);
		this.parent.out.println(Json.write(line));
		this.parent.out.flush();
	}

	private CopyCommand copyFromConfig() {
		CommandLine line = new CommandLine(new KeyferryCommand());
		List<String> args = new java.util.ArrayList<>(List.of("copy", "--config", this.config.toString()));
		addGlobal(args, "--home", this.parent.home);
		addGlobal(args, "--repository-url", this.parent.repositoryUrl);
		addGlobal(args, "--repository-user", this.parent.repositoryUser);
		addGlobal(args, "--repository-password-file", this.parent.repositoryPasswordFile);
		try {
			line.parseArgs(args.toArray(String[]::new));
		}
		catch (CommandLine.ParameterException ex) {
			throw KeyferryException.usage(ex.getMessage(), "see 'keyferry schedule --help'");
		}
		CopyCommand copy = line.getSubcommands().get("copy").getCommand();
		copy.applyConfig();
		return copy;
	}

	private static void addGlobal(List<String> args, String option, Object value) {
		if (value != null) {
			args.add(option);
			args.add(value.toString());
		}
	}

}
