package io.keyferry.cli;

import io.keyferry.job.BatchRuntime;

/**
 * keyferry's entry point: picocli parses the command line first, and Spring starts only
 * for a command that needs the job repository.
 */
public final class KeyferryApplication {

	private KeyferryApplication() {
	}

	public static void main(String[] args) {
		BatchRuntime.preferBuildTimeContext();
		System.exit(KeyferryCommand.execute(true, System.out, System.err, args));
	}

}
