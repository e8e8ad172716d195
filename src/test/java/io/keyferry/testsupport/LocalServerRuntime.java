package io.keyferry.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs redis-server as a child process of this JVM, in the foreground, with its output
 * appended to {@code redis.log} in the server's directory. It signals only the
 * {@link Process} it started itself: never by name, never by port. Not thread-safe.
 */
final class LocalServerRuntime implements ServerRuntime {

	private static final int LOG_TAIL_BYTES = 8 * 1024;

	private final Path binary;

	private final Path dir;

	private final Path logFile;

	private final Map<String, String> environment;

	private Process process;

	private long logOffset;

	LocalServerRuntime(Path binary, Path dir) {
		this(binary, dir, Map.of());
	}

	/**
	 * A runtime whose processes get extra environment variables (e.g. the
	 * {@link ClockShift} preload).
	 */
	LocalServerRuntime(Path binary, Path dir, Map<String, String> environment) {
		this.binary = binary;
		this.dir = dir;
		this.logFile = dir.resolve("redis.log");
		this.environment = Map.copyOf(environment);
	}

	@Override
	public void start(int port, List<String> configArgs) {
		List<String> command = new ArrayList<>();
		command.add(this.binary.toString());
		command.addAll(List.of("--bind", RedisServer.HOST, "--port", Integer.toString(port), "--daemonize", "no",
				"--dir", this.dir.toString(), "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no"));
		command.addAll(configArgs);
		ProcessBuilder builder = new ProcessBuilder(command).directory(this.dir.toFile())
			.redirectErrorStream(true)
			.redirectOutput(Redirect.appendTo(this.logFile.toFile()));
		builder.environment().putAll(this.environment);
		try {
			this.logOffset = Files.exists(this.logFile) ? Files.size(this.logFile) : 0;
			this.process = builder.start();
		}
		catch (IOException ex) {
			throw new IllegalStateException("could not run " + this.binary + ": " + ex.getMessage(), ex);
		}
	}

	@Override
	public boolean isAlive() {
		return this.process != null && this.process.isAlive();
	}

	@Override
	public void awaitExit(Duration timeout) {
		if (this.process == null) {
			return;
		}
		try {
			if (!this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
				this.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			this.process.destroyForcibly();
		}
		if (this.process.isAlive()) {
			throw new IllegalStateException("redis-server (pid " + this.process.pid() + ") did not exit");
		}
	}

	@Override
	public void stop() {
		if (isAlive()) {
			// Process.destroy() is SIGTERM on Unix: redis-server shuts down cleanly.
			this.process.destroy();
			awaitExit(Duration.ofSeconds(10));
		}
	}

	@Override
	public void kill() {
		if (isAlive()) {
			// Process.destroyForcibly() is SIGKILL on Unix.
			this.process.destroyForcibly();
			awaitExit(Duration.ofSeconds(10));
		}
	}

	@Override
	public long pid() {
		return (this.process != null) ? this.process.pid() : -1;
	}

	/**
	 * The exit code of the last process (128 + signal when killed by a signal), or -1.
	 */
	int exitValue() {
		return (this.process != null && !this.process.isAlive()) ? this.process.exitValue() : -1;
	}

	/**
	 * The end of the output of the current (or last) process; earlier ones stay in the
	 * file.
	 */
	@Override
	public String log() {
		if (!Files.exists(this.logFile)) {
			return "(no log)";
		}
		try {
			byte[] bytes = Files.readAllBytes(this.logFile);
			int from = (int) Math.max(Math.min(this.logOffset, bytes.length), bytes.length - LOG_TAIL_BYTES);
			return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	@Override
	public void destroy() {
		stop();
	}

}
