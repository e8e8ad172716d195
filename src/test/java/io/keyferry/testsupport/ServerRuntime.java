package io.keyferry.testsupport;

import java.time.Duration;
import java.util.List;

/**
 * Where a {@link RedisServer} runs: a local process or a container. Implementations own
 * exactly one server at a time and only ever signal that one. Not thread-safe.
 */
interface ServerRuntime {

	/**
	 * Start the server so that it listens on {@code 127.0.0.1:port}.
	 * @param port the loopback port
	 * @param configArgs configuration arguments appended after the fixture's defaults
	 * @throws PortInUseException if the port turned out to be taken
	 */
	void start(int port, List<String> configArgs);

	boolean isAlive();

	/** Waits for the server to exit on its own, then ends it forcibly. */
	void awaitExit(Duration timeout);

	/** Graceful stop (SIGTERM or the container's equivalent), waiting for the exit. */
	void stop();

	/** SIGKILL, waiting for the exit. */
	void kill();

	/** The operating system process id, or -1 when it is not visible (container). */
	long pid();

	/** The end of the server's log, for failure messages. */
	String log();

	/** Ends the server if still running and releases everything the runtime holds. */
	void destroy();

	/**
	 * Thrown by {@link ServerRuntime#start} when the port is taken, so that a first start
	 * can retry on another port.
	 */
	final class PortInUseException extends RuntimeException {

		private static final long serialVersionUID = 1L;

		PortInUseException(String message) {
			super(message);
		}

	}

}
