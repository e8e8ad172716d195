package io.keyferry.cli;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import io.keyferry.KeyferryException;
import io.keyferry.job.BatchRuntime;
import io.keyferry.report.Json;
import io.keyferry.report.RunHistory;
import io.keyferry.report.RunSummary;
import io.keyferry.report.Timestamps;
import org.springframework.batch.core.BatchStatus;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code keyferry history}: the executions of copy runs, newest first. */
@Command(name = "history", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
		description = {
				"List copy executions, newest first, with their counts; unfinished runs show the command that resumes them. Works while a copy runs.",
				"EXEC is the execution id that show, resume and stop take; RUN is the run's number among copies with the same source, target and filter." })
public class HistoryCommand implements Callable<Integer> {

	@ParentCommand
	KeyferryCommand parent;

	@Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "How many executions.")
	int limit;

	@Option(names = "--status", paramLabel = "STATUS",
			description = "Only executions with this status: COMPLETED, FAILED, STOPPED, STARTED, ABANDONED …")
	String status;

	@Option(names = "--json", description = "Print a JSON array.")
	boolean json;

	@Override
	public Integer call() {
		if (this.limit < 1) {
			throw KeyferryException.usage("--limit must be at least 1", "e.g. --limit 50");
		}
		BatchStatus wanted = null;
		if (this.status != null) {
			try {
				wanted = BatchStatus.valueOf(this.status.toUpperCase(Locale.ROOT));
			}
			catch (IllegalArgumentException ex) {
				throw KeyferryException.usage("invalid --status '" + this.status + "'",
						"use COMPLETED, FAILED, STOPPED, STARTED, STOPPING or ABANDONED");
			}
		}
		java.util.Map<String, Object> repository = this.parent.repository();
		BatchRuntime.requireRepository(this.parent.home(), repository);
		try (ConfigurableApplicationContext context = BatchRuntime.start(this.parent.home(), this.parent.verbose,
				repository)) {
			List<RunHistory.Entry> entries = context.getBean(RunHistory.class).list(this.limit, wanted);
			if (this.json) {
				this.parent.out.println(Json.write(entries.stream().map(RunHistory.Entry::toMap).toList()));
			}
			else if (entries.isEmpty()) {
				this.parent.out.println((wanted != null) ? "no executions with status " + wanted : "no runs yet");
			}
			else {
				int width = entries.stream()
					.mapToInt((entry) -> Timestamps.text(entry.summary().startTime()).length())
					.max()
					.orElse(7);
				this.parent.out.println(
						String.format(Locale.ROOT, "%-6s %-5s %-10s %-" + width + "s %9s %12s %12s %10s %10s %9s  %s",
								"EXEC", "RUN", "STATUS", "STARTED", "DURATION", "READ", "WRITTEN", "FILTERED",
								"SKIPPED", "KEYS/S", "SOURCE -> TARGET [FILTER]"));
				for (RunHistory.Entry entry : entries) {
					this.parent.out.println(line(entry, width));
				}
			}
			return ExitCode.OK;
		}
	}

	static String line(RunHistory.Entry entry, int timeWidth) {
		RunSummary s = entry.summary();
		String filter = "match " + s.match() + (s.type().isEmpty() ? "" : " type " + s.type())
				+ (s.dryRun() ? " dry-run" : "");
		if (s.deleteMissing()) {
			filter = filter + "; " + (s.dryRun() ? "would delete " : "deleted ") + RunSummary.number(s.deleted());
		}
		if (s.isVerify()) {
			filter = "verify: checked " + RunSummary.number(s.verify().checked()) + ", "
					+ RunSummary.number(s.verify().total()) + " different; " + filter;
		}
		String line = String.format(Locale.ROOT,
				"%-6d %-5s %-10s %-" + timeWidth + "s %9s %,12d %,12d %,10d %,10d %,9d  %s -> %s [%s]", s.executionId(),
				"#" + s.run(), s.status(), Timestamps.text(s.startTime()), RunSummary.duration(s.duration()),
				s.counts().read(), s.counts().written(), s.counts().filtered(), s.counts().skippedTotal(),
				Math.round(s.keysPerSecond()), s.source(), s.target(), filter);
		String next = entry.next();
		return (next != null) ? line + "  (" + next + ")" : line;
	}

}
