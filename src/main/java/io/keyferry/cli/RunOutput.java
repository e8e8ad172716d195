package io.keyferry.cli;

import java.time.Duration;

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

}
