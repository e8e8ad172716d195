package io.keyferry.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import io.keyferry.KeyferryException;
import io.keyferry.job.BatchRuntime;
import io.keyferry.job.JobNames;
import io.keyferry.job.item.KeyCounts;
import io.keyferry.repository.Differences;
import io.keyferry.repository.SkippedKeys;
import io.keyferry.redis.KeyNames;
import io.keyferry.report.Json;
import io.keyferry.report.RunHistory;
import io.keyferry.report.RunSummary;
import io.keyferry.report.Timestamps;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code keyferry show}: everything about one execution and its run. */
@Command(name = "show", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
		description = "Show one execution: parameters (redacted), partitions with counts, commits and checkpoints, failures, the other executions of its run with totals, and skipped keys.")
public class ShowCommand implements Callable<Integer> {

	@ParentCommand
	KeyferryCommand parent;

	@Parameters(index = "0", paramLabel = "EXECUTION_ID",
			description = "The execution: the EXEC column of keyferry history, executionId in JSON (not the run number).")
	long executionId;

	@Option(names = "--json", description = "Print one JSON object.")
	boolean json;

	@Option(names = "--skipped", paramLabel = "N|all", defaultValue = "20",
			description = "How many skipped keys to list.")
	String skipped;

	@Option(names = "--differences", paramLabel = "N|all", defaultValue = "20",
			description = "How many keys that differ to list (a verify run).")
	String differences;

	@Override
	public Integer call() {
		int limit = skippedLimit(this.skipped);
		int differenceLimit = limit("--differences", this.differences);
		java.util.Map<String, Object> repository = this.parent.repository();
		BatchRuntime.requireRepository(this.parent.home(), repository);
		try (ConfigurableApplicationContext context = BatchRuntime.start(this.parent.home(), this.parent.verbose,
				repository)) {
			RunHistory.Details details = context.getBean(RunHistory.class)
				.show(this.executionId, limit, differenceLimit);
			if (this.json) {
				this.parent.out.println(Json.write(toMap(details)));
			}
			else {
				print(details, this.parent.out);
			}
			return ExitCode.OK;
		}
	}

	static int skippedLimit(String value) {
		return limit("--skipped", value);
	}

	static int limit(String option, String value) {
		if ("all".equalsIgnoreCase(value)) {
			return Integer.MAX_VALUE;
		}
		try {
			int n = Integer.parseInt(value);
			if (n >= 0) {
				return n;
			}
		}
		catch (NumberFormatException ex) {
			// fall through
		}
		throw KeyferryException.usage("invalid " + option + " '" + value + "'", "use a number or 'all'");
	}

	static Map<String, Object> toMap(RunHistory.Details details) {
		Map<String, Object> map = details.entry().toMap();
		map.put("parameters", parameters(details.parameters()));
		map.put("steps", details.steps().stream().map(RunHistory.Step::toMap).toList());
		map.put("runExecutions", details.runExecutions().stream().map(RunSummary::toMap).toList());
		map.put("runTotals", counts(details.runTotals()));
		map.put("skippedCount", details.skippedCount());
		map.put("skippedKeys", details.skipped().stream().map(ShowCommand::skip).toList());
		if (details.entry().summary().isVerify()) {
			map.put("differenceCount", details.differenceCount());
			map.put("differenceKeys", details.differences().stream().map(ShowCommand::difference).toList());
		}
		return map;
	}

	private static Map<String, Object> parameters(Map<String, Object> stored) {
		Map<String, Object> map = new LinkedHashMap<>();
		stored.forEach((name, value) -> map.put(Json.fieldName(name),
				(JobNames.isFlag(name) && value instanceof String text) ? Boolean.valueOf(text) : value));
		return map;
	}

	private static Map<String, Object> counts(KeyCounts counts) {
		Map<String, Object> map = new LinkedHashMap<>();
		map.put("read", counts.read());
		map.put("written", counts.written());
		map.put("filtered", counts.filtered());
		map.put("skipped", Json.withFieldNames(counts.skipped()));
		map.put("fallback", Json.withFieldNames(counts.fallback()));
		map.put("bytes", counts.bytes());
		return map;
	}

	private static Map<String, Object> skip(SkippedKeys.SkippedKey skip) {
		Map<String, Object> map = new LinkedHashMap<>();
		map.put("key", KeyNames.escape(skip.key()));
		map.put("reason", skip.reason());
		map.put("detail", skip.detail());
		return map;
	}

	private static Map<String, Object> difference(Differences.Difference difference) {
		Map<String, Object> map = new LinkedHashMap<>();
		if (difference.database() != null) {
			// a run of every database: the same name may differ in several
			map.put("database", difference.database());
		}
		map.put("key", KeyNames.escape(difference.key()));
		map.put("kind", Json.fieldName(difference.kind().id()));
		map.put("detail", difference.detail());
		map.put("pass", difference.pass());
		return map;
	}

	static void print(RunHistory.Details details, PrintStream out) {
		RunSummary s = details.entry().summary();
		s.toText().forEach(out::println);
		if (details.entry().next() != null) {
			out.println("  next: " + details.entry().next());
		}
		out.println();
		out.println("parameters:");
		details.parameters().forEach((name, value) -> out.println("  " + name + " = " + value));
		out.println();
		out.println("steps:");
		for (RunHistory.Step step : details.steps()) {
			out.println(String.format(Locale.ROOT,
					"  %-28s %-9s read %,d written %,d filtered %,d skipped %,d  commits %,d rollbacks %,d",
					step.name(), step.status(), step.counts().read(), step.counts().written(), step.counts().filtered(),
					step.counts().skippedTotal(), step.commits(), step.rollbacks()));
			if (step.node() != null) {
				out.println(String.format(Locale.ROOT, "  %-28s source node %s%s", "", step.node(),
						(step.slots() != null) ? ", slots " + step.slots() : ""));
			}
			if (step.cursor() != null) {
				out.println(String.format(Locale.ROOT,
						"  %-28s checkpoint: cursor %s%s, %.1f%% scanned, source run_id %s, target run_id %s%s", "",
						step.cursor(), step.done() ? " (done)" : "", step.scanned() * 100, step.sourceRunId(),
						step.targetRunId(), (step.rescans() > 0) ? ", scanned again " + step.rescans() + "x" : ""));
			}
			if (step.exitDescription() != null) {
				out.println("  " + " ".repeat(28) + " failure: " + step.exitDescription());
			}
		}
		out.println();
		out.println("executions of run #" + s.run() + ":");
		int width = details.runExecutions()
			.stream()
			.mapToInt((execution) -> Timestamps.text(execution.startTime()).length())
			.max()
			.orElse(1);
		for (RunSummary execution : details.runExecutions()) {
			out.println(String.format(Locale.ROOT,
					"  %-6d %-10s %-" + width + "s read %,d written %,d filtered %,d skipped %,d",
					execution.executionId(), execution.status(), Timestamps.text(execution.startTime()),
					execution.counts().read(), execution.counts().written(), execution.counts().filtered(),
					execution.counts().skippedTotal()));
		}
		KeyCounts t = details.runTotals();
		out.println(
				String.format(Locale.ROOT, "  %-" + (width + 18) + "s read %,d written %,d filtered %,d skipped %,d",
						"total", t.read(), t.written(), t.filtered(), t.skippedTotal()));
		out.println();
		out.println("skipped keys: " + details.skippedCount() + ((details.skipped().size() < details.skippedCount())
				? " (showing " + details.skipped().size() + ")" : ""));
		for (SkippedKeys.SkippedKey skip : details.skipped()) {
			out.println("  " + skip.reason() + "  \"" + KeyNames.escape(skip.key()) + "\""
					+ ((skip.detail() != null) ? "  " + skip.detail() : ""));
		}
		if (s.isVerify()) {
			out.println();
			out.println("differences: " + details.differenceCount()
					+ ((details.differences().size() < details.differenceCount())
							? " (showing " + details.differences().size() + ")" : ""));
			for (Differences.Difference difference : details.differences()) {
				out.println("  " + ((difference.database() != null) ? "db " + difference.database() + "  " : "")
						+ difference.kind().id() + "  \"" + KeyNames.escape(difference.key()) + "\""
						+ ((difference.detail() != null) ? "  " + difference.detail() : ""));
			}
		}
	}

}
