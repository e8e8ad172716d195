package io.keyferry.cli;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import picocli.CommandLine.Option;

/** How a copy or resume reports: the summary's form on stdout and progress on stderr. */
class RunOutput {

	@Option(names = "--json", description = "Print the final summary as one JSON object on stdout.")
	boolean json;

	@Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto",
			description = "Progress on stderr: auto (a bar on a terminal, lines otherwise), bar, plain or off.")
	String progress;

	@Option(names = "--progress-interval", paramLabel = "DURATION", defaultValue = "5s",
			converter = DurationConverter.class, description = "How often progress is printed.")
	Duration progressInterval;

	/**
	 * The {@code --json} output of a command that ended with an error before or without
	 * an execution (bad input, a failed pre-flight check, a run owned by another
	 * process).
	 * @param message the error
	 * @param hint what to do, or {@code null}
	 * @param exitCode the exit code
	 * @return the JSON object's fields
	 */
	static Map<String, Object> error(String message, String hint, int exitCode) {
		Map<String, Object> map = new LinkedHashMap<>();
		map.put("status", "ERROR");
		map.put("exitCode", exitCode);
		map.put("error", message);
		map.put("hint", hint);
		return map;
	}

}
