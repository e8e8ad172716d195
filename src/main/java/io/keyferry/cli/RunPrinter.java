package io.keyferry.cli;

import java.io.PrintStream;
import java.util.Map;

import io.keyferry.KeyferryException;
import io.keyferry.job.CopyOutcome;
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
		RunSummary summary = RunSummary.of(outcome.execution());
		Throwable failure = (outcome.status() == BatchStatus.COMPLETED) ? null : outcome.failure();
		KeyferryException known = (failure != null) ? KeyferryException.find(failure) : null;
		String message = null;
		String hint = null;
		if (outcome.status() == BatchStatus.STOPPED) {
			message = "the run was stopped";
			hint = "resume it with the same command, or: keyferry resume " + summary.executionId();
		}
		else if (known != null && !(known instanceof io.keyferry.redis.Backoff.StopRequestedException)) {
			message = known.getMessage();
			hint = known.getHint();
		}
		else if (failure != null) {
			message = rootMessage(failure);
			hint = "the run is resumable: run the same command again, or keyferry resume " + summary.executionId()
					+ "; the log is in $KEYFERRY_HOME/logs";
		}
		int exitCode = (known != null && known.isUsage() && outcome.status() == BatchStatus.FAILED) ? ExitCode.USAGE
				: ExitCode.of(outcome.status());
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

	static String rootMessage(Throwable failure) {
		Throwable t = failure;
		while (t.getCause() != null && t.getCause() != t) {
			t = t.getCause();
		}
		return t.getClass().getSimpleName() + ": " + t.getMessage();
	}

}
