package io.keyferry.cli;

import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.keyferry.KeyferryException;
import io.keyferry.job.BatchRuntime;
import io.keyferry.run.CopyLauncher;
import io.keyferry.run.VerifyLauncher;
import io.keyferry.job.VerifySettings;
import org.springframework.batch.core.BatchStatus;
import io.keyferry.run.CopyOutcome;
import io.keyferry.job.CopySettings;
import io.keyferry.run.Preflight;
import io.keyferry.job.RunMonitor;
import io.keyferry.report.Json;
import io.keyferry.report.RunSummary;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.scheduling.support.CronExpression;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code keyferry schedule}: one long-lived process that runs a copy at each cron tick.
 * At start it checks the cron expression, the config file and both servers, and refuses
 * to start (exit 2) when any of them is not usable. Each tick behaves like
 * {@code keyferry copy} (an unfinished run is resumed first) and prints one JSON line on
 * stdout and one human-readable line on stderr; ticks never overlap: a tick that comes
 * while the previous one's copy is still going is reported as skipped. A failed tick does
 * not end the process: the next tick resumes the run. Not thread-safe: one per process.
 */
@Command(name = "schedule", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
		description = { "Stay up and run the copy described by --config at each tick of a cron expression.",
				"At start the config and both servers are checked: when they are not usable it exits 2 at once.",
				"A tick resumes an unfinished run first; ticks never overlap (one that comes during a copy is reported as skipped).",
				"Each tick prints one JSON line on stdout (status completed, failed, stopped or skipped; error and hint when failed) and one line on stderr.",
				"A failed tick does not end it: the next tick tries again and resumes the run.",
				"It ends on SIGTERM (the running copy stops gracefully; exit 3 if one was stopped, else 0), after --max-runs ticks (exit code of the last one) or after --max-failures failed ticks in a row (exit 1)." },
		footer = { "", "Cron: six fields, second minute hour day-of-month month day-of-week (Spring's format),",
				"e.g. \"0 0 2 * * *\" every day at 02:00, \"0 */15 * * * *\" every 15 minutes." })
public class ScheduleCommand implements Callable<Integer> {

	/** Verifies after each completed copy ({@code verify: true}), else {@code null}. */
	private VerifyLauncher verifier;

	@ParentCommand
	KeyferryCommand parent;

	@Option(names = "--cron", required = true, paramLabel = "EXPRESSION", description = "When to run.")
	String cron;

	@Option(names = "--config", required = true, paramLabel = "FILE", description = "The copy's YAML config file.")
	Path config;

	@Option(names = "--max-runs", paramLabel = "N", defaultValue = "0",
			description = "Exit after N ticks that ran a copy, with the exit code of the last (0: run until stopped).")
	int maxRuns;

	@Option(names = "--max-failures", paramLabel = "N", defaultValue = "0",
			description = "Exit 1 after N failed ticks in a row (0: keep trying at each tick).")
	int maxFailures;

	private final CountDownLatch stopped = new CountDownLatch(1);

	private volatile boolean stopRequested;

	@Override
	public Integer call() throws InterruptedException {
		if (this.maxRuns < 0 || this.maxFailures < 0) {
			throw KeyferryException.usage("--max-runs and --max-failures must not be negative",
					"use 0 (no limit) or more");
		}
		CronExpression expression;
		try {
			expression = CronExpression.parse(this.cron);
		}
		catch (IllegalArgumentException ex) {
			throw KeyferryException.usage("invalid --cron '" + this.cron + "': " + ex.getMessage(),
					"use six fields: second minute hour day-of-month month day-of-week, e.g. \"0 0 2 * * *\"");
		}
		if (expression.next(ZonedDateTime.now()) == null) {
			throw KeyferryException.usage("--cron '" + this.cron + "' never fires", "check the expression");
		}
		CopyCommand copy = copyFromConfig();
		CopySettings settings = copy.settings();
		TlsOptions.warnIfInsecure(settings.source(), this.parent.err);
		TlsOptions.warnIfInsecure(settings.target(), this.parent.err);
		Map<String, Object> repository = copy.parent.repository();
		// the servers are checked while Spring starts, as copy does, unless a connect
		// timeout of the user's applies (Spring reads it)
		Preflight checks = BatchRuntime.connectTimeoutConfigured(repository) ? null
				: Preflight.prepare(settings, Preflight.DEFAULT_TIMEOUT);
		try (ConfigurableApplicationContext context = BatchRuntime.start(copy.parent.home(), this.parent.verbose,
				repository, (checks != null) ? checks::start : null)) {
			CopyLauncher launcher = context.getBean(CopyLauncher.class);
			this.verifier = copy.verify ? context.getBean(VerifyLauncher.class) : null;
			RunMonitor monitor = context.getBean(RunMonitor.class);
			monitor.setWarnings(this.parent.err);
			checkServers(launcher, settings, checks);
			if (this.parent.mainProcess) {
				SignalStop.install(() -> {
					this.stopRequested = true;
					this.stopped.countDown();
					launcher.stopCurrent();
					if (this.verifier != null) {
						this.verifier.stopCurrent();
					}
				}, this.parent.err);
			}
			ZonedDateTime next = expression.next(ZonedDateTime.now());
			this.parent.err.println("scheduled: " + settings.source().redacted() + " -> " + settings.target().redacted()
					+ " at '" + this.cron + "'; servers checked; first tick "
					+ ScheduledTick.timestamp(next.toOffsetDateTime()));
			this.parent.err.flush();
			return loop(expression, next, launcher, settings);
		}
	}

	/**
	 * The pre-flight of every tick, once before the first: a server that cannot be used
	 * now is a configuration error of the scheduler.
	 */
	private static void checkServers(CopyLauncher launcher, CopySettings settings, Preflight checks) {
		try {
			if (checks != null) {
				checks.join();
			}
			else {
				launcher.preflight(settings);
			}
		}
		catch (KeyferryException ex) {
			if (ex.isUsage()) {
				throw ex;
			}
			throw KeyferryException.usage(ex.getMessage(), ex.getHint(), ex);
		}
	}

	private int loop(CronExpression expression, ZonedDateTime first, CopyLauncher launcher, CopySettings settings)
			throws InterruptedException {
		ZonedDateTime next = first;
		int ticks = 0;
		int failuresInARow = 0;
		ScheduledTick last = null;
		while (true) {
			if (this.maxRuns > 0 && ticks >= this.maxRuns) {
				return last.exitCode();
			}
			if (next == null) {
				this.parent.err.println("the cron expression '" + this.cron + "' never fires again: exiting");
				return (last != null) ? last.exitCode() : ExitCode.OK;
			}
			if (!awaitTick(next)) {
				// stopped while no copy was running
				return ExitCode.OK;
			}
			ZonedDateTime tick = next;
			last = runOnce(launcher, settings, tick, failuresInARow);
			failuresInARow = last.consecutiveFailures();
			report(last);
			ticks++;
			if (this.stopRequested) {
				return last.exitCode();
			}
			ZonedDateTime now = ZonedDateTime.now();
			next = expression.next(now.isAfter(tick) ? now : tick);
			for (ZonedDateTime missed = expression.next(tick); missed != null
					&& missed.isBefore(next); missed = expression.next(missed)) {
				report(ScheduledTick.skipped(missed, failuresInARow));
			}
			if (this.maxFailures > 0 && failuresInARow >= this.maxFailures) {
				this.parent.err.println("exiting: " + failuresInARow + " failed ticks in a row (--max-failures "
						+ this.maxFailures + "); the run is resumable");
				return ExitCode.FAILED;
			}
		}
	}

	/**
	 * Waits until the tick has come (never a little before it: the next tick is computed
	 * from the time the copy ends, and a copy begun early would run for the same tick
	 * again).
	 * @return {@code false} when stopped first
	 */
	private boolean awaitTick(ZonedDateTime tick) throws InterruptedException {
		while (!this.stopRequested) {
			long nanos = java.time.Duration.between(ZonedDateTime.now(), tick).toNanos();
			if (nanos <= 0) {
				return true;
			}
			if (this.stopped.await(nanos, TimeUnit.NANOSECONDS)) {
				return false;
			}
		}
		return false;
	}

	private ScheduledTick runOnce(CopyLauncher launcher, CopySettings settings, ZonedDateTime tick,
			int failuresBefore) {
		try {
			CopyOutcome copied = launcher.copy(settings, false);
			CopyOutcome outcome = copied;
			RunSummary verified = null;
			if (this.verifier != null && copied.status() == BatchStatus.COMPLETED) {
				// the tick ends as its verify does: failed if it failed, exit 4 if the
				// target differs
				outcome = this.verifier.verify(VerifySettings.after(settings), false);
				verified = RunSummary.of(outcome.execution());
			}
			RunSummary summary = RunSummary.of(copied.execution());
			RunPrinter.Problem problem = RunPrinter.problem(outcome, (verified != null) ? verified : summary);
			String status = switch (outcome.status()) {
				case COMPLETED -> ScheduledTick.COMPLETED;
				case STOPPED, STOPPING -> ScheduledTick.STOPPED;
				default -> ScheduledTick.FAILED;
			};
			int failures = switch (status) {
				case ScheduledTick.FAILED -> failuresBefore + 1;
				case ScheduledTick.COMPLETED -> 0;
				default -> failuresBefore;
			};
			if (this.parent.stacktrace && outcome.failure() != null) {
				outcome.failure().printStackTrace(this.parent.err);
			}
			int exitCode = RunPrinter.exitCode(outcome);
			if (exitCode == ExitCode.OK && verified != null && verified.verify().total() > 0) {
				exitCode = ExitCode.DIFFERENT;
			}
			return new ScheduledTick(tick, status, exitCode, summary, (problem != null) ? problem.message() : null,
					(problem != null) ? problem.hint() : null, failures, verified);
		}
		catch (RuntimeException ex) {
			if (this.parent.stacktrace) {
				ex.printStackTrace(this.parent.err);
			}
			if (this.stopRequested) {
				return new ScheduledTick(tick, ScheduledTick.STOPPED, ExitCode.STOPPED, null,
						"stopped before the copy started", "nothing was written; the next start resumes the run",
						failuresBefore);
			}
			// e.g. a server down at the tick, or the run going in another process
			KeyferryException known = KeyferryException.find(ex);
			if (known != null) {
				return new ScheduledTick(tick, ScheduledTick.FAILED, known.isUsage() ? ExitCode.USAGE : ExitCode.FAILED,
						null, known.getMessage(), known.getHint(), failuresBefore + 1);
			}
			return new ScheduledTick(tick, ScheduledTick.FAILED, ExitCode.FAILED, null, RunPrinter.rootMessage(ex),
					"the next tick tries again; the log is in " + this.parent.home().resolve("logs"),
					failuresBefore + 1);
		}
	}

	private void report(ScheduledTick tick) {
		this.parent.out.println(Json.write(tick.toMap(OffsetDateTime.now())));
		this.parent.out.flush();
		tick.toText().forEach(this.parent.err::println);
		this.parent.err.flush();
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
