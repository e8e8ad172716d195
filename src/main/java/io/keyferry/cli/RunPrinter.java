package io.keyferry.cli;

import java.io.PrintStream;
import java.util.Map;

import io.keyferry.KeyferryException;
import io.keyferry.run.CopyOutcome;
import io.keyferry.report.Json;
import io.keyferry.report.RunSummary;
import org.springframework.batch.core.BatchStatus;

/**
 * Prints the end of a run: summary on stdout (text or JSON), error and hint on stderr.
 */
final class RunPrinter {

	private RunPrinter() {
	}

	static int print(CopyOutcome outcome, boolean json, boolean stacktrace, PrintStream out, PrintStream err) {
		if (outcome.verify() != null) {
			return printWithVerify(outcome, json, stacktrace, out, err);
		}
		RunSummary summary = RunSummary.of(outcome.execution());
		Throwable failure = (outcome.status() == BatchStatus.COMPLETED) ? null : outcome.failure();
		Problem problem = problem(outcome, summary);
		String message = (problem != null) ? problem.message() : null;
		String hint = (problem != null) ? problem.hint() : null;
		int exitCode = exitCode(outcome, summary);
		if (json) {
			Map<String, Object> map = summary.toMap();
			map.put("exitCode", exitCode);
			if (message != null) {
				map.put("error", message);
				map.put("hint", hint);
			}
			out.println(Json.write(map));
		}
		else {
			summary.toText().forEach(out::println);
		}
		out.flush();
		if (message != null) {
			if (stacktrace && failure != null) {
				failure.printStackTrace(err);
			}
			err.println(((outcome.status() == BatchStatus.STOPPED) ? "stopped: " : "error: ") + message);
			err.println("hint: " + hint);
		}
		return exitCode;
	}

	/**
	 * Prints a copy followed by its verify ({@code copy --verify}): both summaries (in
	 * JSON the verify's under {@code verify}), the verify's problem if it did not
	 * complete, and the verify's exit code (the copy completed).
	 */
	private static int printWithVerify(CopyOutcome outcome, boolean json, boolean stacktrace, PrintStream out,
			PrintStream err) {
		RunSummary copied = RunSummary.of(outcome.execution());
		CopyOutcome verify = outcome.verify();
		RunSummary verified = RunSummary.of(verify.execution());
		Problem problem = problem(verify, verified);
		int exitCode = exitCode(verify, verified);
		if (json) {
			Map<String, Object> map = copied.toMap();
			Map<String, Object> verifyMap = verified.toMap();
			verifyMap.put("exitCode", exitCode);
			map.put("verify", verifyMap);
			map.put("exitCode", exitCode);
			if (problem != null) {
				map.put("error", problem.message());
				map.put("hint", problem.hint());
			}
			out.println(Json.write(map));
		}
		else {
			copied.toText().forEach(out::println);
			verified.toText().forEach(out::println);
		}
		out.flush();
		if (problem != null) {
			Throwable failure = verify.failure();
			if (stacktrace && failure != null) {
				failure.printStackTrace(err);
			}
			err.println(((verify.status() == BatchStatus.STOPPED) ? "stopped: " : "error: ") + problem.message());
			err.println("hint: " + problem.hint());
		}
		return exitCode;
	}

	/**
	 * The exit code of a finished execution, with 4 for a completed verify that found
	 * differences.
	 */
	private static int exitCode(CopyOutcome outcome, RunSummary summary) {
		int exitCode = exitCode(outcome);
		if (exitCode == ExitCode.OK && summary.isVerify() && summary.verify().total() > 0) {
			return ExitCode.DIFFERENT;
		}
		return exitCode;
	}

	/**
	 * The exit code of a finished execution: usage (2) when a configuration error failed
	 * it, otherwise by its status.
	 * @param outcome how it ended
	 * @return the exit code
	 */
	static int exitCode(CopyOutcome outcome) {
		Throwable failure = (outcome.status() == BatchStatus.COMPLETED) ? null : outcome.failure();
		KeyferryException known = (failure != null) ? KeyferryException.find(failure) : null;
		if (known != null && known.isUsage() && outcome.status() == BatchStatus.FAILED) {
			return ExitCode.USAGE;
		}
		return ExitCode.of(outcome.status());
	}

	/**
	 * What to tell the operator about an execution that did not complete.
	 * @param outcome how it ended
	 * @param summary its summary
	 * @return the message and hint, or {@code null} when it completed
	 */
	static Problem problem(CopyOutcome outcome, RunSummary summary) {
		Throwable failure = (outcome.status() == BatchStatus.COMPLETED) ? null : outcome.failure();
		KeyferryException known = (failure != null) ? KeyferryException.find(failure) : null;
		if (outcome.status() == BatchStatus.STOPPED) {
			return new Problem("the run was stopped",
					"resume it with the same command, or: keyferry resume " + summary.executionId());
		}
		if (known != null && !(known instanceof io.keyferry.redis.Backoff.StopRequestedException)) {
			return new Problem(known.getMessage(), known.getHint());
		}
		if (failure != null) {
			return new Problem(rootMessage(failure),
					"the run is resumable: run the same command again, or keyferry resume " + summary.executionId()
							+ "; the log is in $KEYFERRY_HOME/logs");
		}
		return null;
	}

	static String rootMessage(Throwable failure) {
		Throwable t = failure;
		while (t.getCause() != null && t.getCause() != t) {
			t = t.getCause();
		}
		return t.getClass().getSimpleName() + ": " + t.getMessage();
	}

	/**
	 * A message and a hint.
	 *
	 * @param message what went wrong
	 * @param hint what to do about it
	 */
	record Problem(String message, String hint) {

	}

}
