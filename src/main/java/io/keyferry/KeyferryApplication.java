package io.keyferry;

import io.keyferry.cli.KeyferryCommand;

/**
 * keyferry's entry point: picocli parses the command line first, and Spring starts only
 * for a command that needs the job repository.
 */
public final class KeyferryApplication {

	private KeyferryApplication() {
	}

	public static void main(String[] args) {
		System.exit(KeyferryCommand.execute(true, System.out, System.err, args));
	}

}
