package io.keyferry.cli;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;

import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT (Ctrl-C) into a graceful stop: the first asks the running
 * execution to stop at its next chunk boundary, so it ends STOPPED with its checkpoint
 * saved before the JVM's shutdown hooks (H2's, Spring's) run; a second one aborts at once
 * (the run is then recovered by the next copy or resume).
 */
final class SignalStop {

	private SignalStop() {
	}

	static void install(Runnable stop, PrintStream err) {
		AtomicInteger signals = new AtomicInteger();
		for (String name : new String[] { "TERM", "INT" }) {
			Signal.handle(new Signal(name), (signal) -> {
				if (signals.incrementAndGet() == 1) {
					err.println();
					err.println("stopping after the current chunk (checkpoint kept); signal again to abort at once");
					err.flush();
					Thread stopper = new Thread(stop, "keyferry-stop");
					stopper.setDaemon(true);
					stopper.start();
				}
				else {
					err.println("aborting: the run will be recovered and resumed by the next keyferry copy or resume");
					err.flush();
					Runtime.getRuntime().halt(ExitCode.STOPPED);
				}
			});
		}
	}

}
