package io.keyferry.cli;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.keyferry.KeyferryException;
import io.keyferry.job.BatchRuntime;
import io.keyferry.report.RunHistory;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code keyferry prune}: deletes old finished runs from the job repository. */
@Command(name = "prune", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
		description = "Delete finished runs (completed or abandoned) older than the given age, with their executions, contexts and skipped-key records. Unfinished runs are never deleted.")
public class PruneCommand implements Callable<Integer> {

	private static final Pattern AGE = Pattern.compile("(\\d+)([dhm])");

	@ParentCommand
	KeyferryCommand parent;

	@Option(names = "--older-than", required = true, paramLabel = "AGE",
			description = "Age of the runs' last execution, e.g. 30d, 12h, 90m.")
	String olderThan;

	@Option(names = "--dry-run", description = "Only count what would be deleted.")
	boolean dryRun;

	@Override
	public Integer call() {
		Duration age = age(this.olderThan);
		java.util.Map<String, Object> repository = this.parent.repository();
		BatchRuntime.requireRepository(this.parent.home(), repository);
		try (ConfigurableApplicationContext context = BatchRuntime.start(this.parent.home(), this.parent.verbose,
				repository)) {
			RunHistory.Pruned pruned = context.getBean(RunHistory.class).prune(age, this.dryRun);
			this.parent.out.println((this.dryRun ? "would delete " : "deleted ") + pruned.runs() + " runs, "
					+ pruned.executions() + " executions, " + pruned.skippedKeys() + " skipped-key records");
			return ExitCode.OK;
		}
	}

	static Duration age(String value) {
		Matcher matcher = AGE.matcher(value.trim());
		if (!matcher.matches()) {
			throw KeyferryException.usage("invalid --older-than '" + value + "'", "use e.g. 30d, 12h or 90m");
		}
		long n = Long.parseLong(matcher.group(1));
		return switch (matcher.group(2)) {
			case "d" -> Duration.ofDays(n);
			case "h" -> Duration.ofHours(n);
			default -> Duration.ofMinutes(n);
		};
	}

}
