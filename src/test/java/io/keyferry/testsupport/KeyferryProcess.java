package io.keyferry.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.fail;

/**
 * The packaged keyferry jar run as a separate process with its own {@code KEYFERRY_HOME},
 * its stdout and stderr captured to files under {@code HOME/test-output}: extracted as
 * the launcher {@code scripts/keyferry} runs it, with a class-data archive (see
 * {@link ClassDataArchive}), or as {@code java -jar keyferry.jar args...}
 * ({@link Builder#fatJar()}), or through the launcher ({@link Builder#viaLauncher()}).
 * {@link #terminate()} sends SIGTERM and {@link #kill()} SIGKILL, to this process only.
 * Not thread-safe: one test owns it.
 */
public final class KeyferryProcess implements AutoCloseable {

	/** The system property the build sets to the packaged jar. */
	public static final String JAR_PROPERTY = "keyferry.jar";

	/**
	 * C1 only and the serial collector: a short-lived JVM on a two-core machine starts in
	 * half the time when C2 does not compete with it for the cores.
	 */
	private static final List<String> JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m");

	/** Environment variables of the test's own environment that would change a run. */
	private static final List<String> CLEARED_ENVIRONMENT = List.of("KEYFERRY_HOME", "KEYFERRY_SOURCE_PASSWORD",
			"KEYFERRY_TARGET_PASSWORD", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "SPRING_APPLICATION_JSON");

	/** The launcher's own settings, cleared so that only a test sets them. */
	private static final List<String> LAUNCHER_ENVIRONMENT = List.of("KEYFERRY_HEAP", "KEYFERRY_JAVA_OPTS",
			"KEYFERRY_JAR", "KEYFERRY_CDS", "KEYFERRY_CACHE", "XDG_CACHE_HOME");

	private static final AtomicInteger COUNTER = new AtomicInteger();

	private static Path jarCopy;

	private final Process process;

	private final List<String> command;

	private final Path home;

	private final Path stdout;

	private final Path stderr;

	private final long startNanos = System.nanoTime();

	private volatile long exitNanos;

	private KeyferryProcess(Process process, List<String> command, Path home, Path stdout, Path stderr) {
		this.process = process;
		process.onExit().thenRun(() -> this.exitNanos = System.nanoTime());
		this.command = command;
		this.home = home;
		this.stdout = stdout;
		this.stderr = stderr;
	}

	/**
	 * Options for processes sharing one keyferry home.
	 * @param home the {@code KEYFERRY_HOME} of the process
	 * @return a builder
	 */
	public static Builder in(Path home) {
		return new Builder(home);
	}

	/**
	 * A private copy of the packaged jar: a build running at the same time may rewrite
	 * {@code target/keyferry.jar}, which breaks the class loading of a JVM started from
	 * it.
	 * @return the jar to run
	 */
	public static synchronized Path jar() {
		if (jarCopy != null) {
			return jarCopy;
		}
		String property = System.getProperty(JAR_PROPERTY);
		if (property == null || property.isBlank()) {
			throw new IllegalStateException("system property " + JAR_PROPERTY
					+ " is not set: run the *JarTests with './mvnw verify' (maven-failsafe sets it to target/keyferry.jar)");
		}
		Path packaged = Path.of(property);
		if (!Files.isRegularFile(packaged)) {
			throw new IllegalStateException(packaged + " does not exist: run './mvnw package' first");
		}
		try {
			Path copy = Files.createTempFile("keyferry-", ".jar");
			Files.copy(packaged, copy, StandardCopyOption.REPLACE_EXISTING);
			copy.toFile().deleteOnExit();
			jarCopy = copy;
			return copy;
		}
		catch (IOException ex) {
			throw new UncheckedIOException("could not copy " + packaged, ex);
		}
	}

	public long pid() {
		return this.process.pid();
	}

	public boolean isAlive() {
		return this.process.isAlive();
	}

	/**
	 * Waits for the process to exit; fails the test (and kills the process) when it does
	 * not exit in time.
	 * @param timeout how long to wait
	 * @return the exit code (128 + signal when ended by a signal it did not handle)
	 */
	public int waitFor(Duration timeout) {
		try {
			if (!this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
				String report = describe();
				kill();
				fail("keyferry did not exit within " + timeout.toSeconds() + " s\n" + report);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			kill();
			throw new IllegalStateException("interrupted while waiting for keyferry", ex);
		}
		return this.process.exitValue();
	}

	/**
	 * Sends SIGTERM ({@link Process#destroy()} on Unix), as a service manager or
	 * Kubernetes does; does not wait.
	 */
	public void terminate() {
		this.process.destroy();
	}

	/**
	 * Sends SIGKILL ({@link Process#destroyForcibly()} on Unix), as the OOM killer does,
	 * and waits until the process is gone.
	 */
	public void kill() {
		this.process.destroyForcibly();
		try {
			this.process.waitFor(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * Waits until stderr contains one of the given texts; fails when the process exits
	 * first or the time runs out.
	 * @param timeout how long to wait
	 * @param texts the texts, any of which will do
	 * @return the text that appeared
	 */
	public String awaitStderr(Duration timeout, String... texts) {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (true) {
			String err = stderr();
			for (String text : texts) {
				if (err.contains(text)) {
					return text;
				}
			}
			if (!this.process.isAlive()) {
				fail("keyferry exited before writing any of " + Arrays.toString(texts) + " on stderr\n" + describe());
			}
			if (System.nanoTime() > deadline) {
				fail("keyferry wrote none of " + Arrays.toString(texts) + " on stderr within " + timeout.toSeconds()
						+ " s\n" + describe());
			}
			RedisServer.pause(50);
		}
	}

	/**
	 * Restarts a server under a process halted with {@link Builder#haltAt}: kills the
	 * server (its data survives only with persistence), lets the process go on, waits
	 * until it says {@code retrying} (it found the server gone and tries again), then
	 * starts the server again.
	 * @param server the server
	 * @param release the file the process waits for
	 * @param retrying what the process prints once it tries again
	 * @param timeout how long to wait for that
	 */
	public void restartWhileHeld(RedisServer server, Path release, String retrying, Duration timeout) {
		server.kill();
		try {
			java.nio.file.Files.createFile(release);
		}
		catch (java.io.IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
		awaitStderr(timeout, retrying);
		server.restart();
	}

	/**
	 * What the process wrote on stdout so far.
	 * @return the text
	 */
	public String stdout() {
		return read(this.stdout);
	}

	/**
	 * What the process wrote on stderr so far.
	 * @return the text
	 */
	public String stderr() {
		return read(this.stderr);
	}

	/**
	 * The JSON summary that {@code copy --json} or {@code resume --json} printed.
	 * @return the summary
	 */
	public CopySummary summary() {
		return CopySummary.parse(stdout(), this::describe);
	}

	/**
	 * The command, exit code, output and the end of keyferry's log, for failure messages.
	 * @return the report
	 */
	public String describe() {
		String exit = this.process.isAlive() ? "running for " + seconds(System.nanoTime())
				: "exit code " + this.process.exitValue() + " after "
						+ seconds((this.exitNanos != 0) ? this.exitNanos : System.nanoTime());
		int jar = this.command.indexOf("-jar");
		List<String> args = this.command.subList((jar >= 0) ? jar + 2 : 2, this.command.size());
		return "--- keyferry " + String.join(" ", args) + " (pid " + pid() + ", " + exit + ") ---\n--- stdout ---\n"
				+ stdout() + "--- stderr ---\n" + stderr() + "--- end of " + logFile() + " ---\n"
				+ tail(logFile(), 6000);
	}

	private String seconds(long nanos) {
		return String.format(Locale.ROOT, "%.1f s", Math.max(0, nanos - this.startNanos) / 1e9);
	}

	private Path logFile() {
		return this.home.resolve("logs").resolve("keyferry.log");
	}

	/** Kills the process if it still runs. */
	@Override
	public void close() {
		if (this.process.isAlive()) {
			kill();
		}
	}

	private static String read(Path file) {
		try {
			return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static String tail(Path file, int chars) {
		String text = read(file);
		return (text.length() > chars) ? "..." + text.substring(text.length() - chars) : text;
	}

	/**
	 * The launcher script {@code scripts/keyferry} of this checkout.
	 * @return its path
	 */
	public static Path launcher() {
		Path launcher = Path.of(System.getProperty("basedir", System.getProperty("user.dir")), "scripts", "keyferry")
			.toAbsolutePath();
		if (!Files.isRegularFile(launcher)) {
			throw new IllegalStateException(launcher + " does not exist: run the tests from the project's directory");
		}
		return launcher;
	}

	/**
	 * Options of a keyferry process. Not thread-safe.
	 */
	public static final class Builder {

		private final Path home;

		private final Map<String, String> environment = new LinkedHashMap<>();

		private boolean viaLauncher;

		private boolean fatJar;

		private Builder(Path home) {
			this.home = home;
		}

		/**
		 * Sets an environment variable of the process, e.g.
		 * {@code KEYFERRY_SOURCE_PASSWORD}.
		 * @param name the name
		 * @param value the value
		 * @return this builder
		 */
		public Builder env(String name, String value) {
			this.environment.put(name, value);
			return this;
		}

		/**
		 * Halts the process at a test point of the jar ({@code TestHalt}: it prints
		 * {@code keyferry: halted at POINT} and every thread that reaches the point
		 * waits) until the file {@code until} exists.
		 * @param point the point, e.g. {@code partition-connected}
		 * @param until the file whose creation lets the process go on
		 * @return this builder
		 */
		public Builder haltAt(String point, Path until) {
			return env("KEYFERRY_TEST_HALT_AT", point).env("KEYFERRY_TEST_HALT_UNTIL", until.toString());
		}

		/**
		 * Runs the launcher {@code scripts/keyferry} (with {@code KEYFERRY_JAR} set to
		 * the jar, {@code JAVA_HOME} to this JVM's and {@code KEYFERRY_CACHE} to
		 * {@code HOME/launcher-cache}) instead of {@code java -jar}: the launcher's JVM
		 * settings, not the tests' own.
		 * @return this builder
		 */
		public Builder viaLauncher() {
			this.viaLauncher = true;
			return this;
		}

		/**
		 * Runs {@code java -jar keyferry.jar} itself (Spring Boot's nested-jar class
		 * loading) instead of the jar extracted as the launcher runs it, with the
		 * class-data archive of {@link ClassDataArchive}.
		 * @return this builder
		 */
		public Builder fatJar() {
			this.fatJar = true;
			return this;
		}

		/**
		 * Starts keyferry (see the class description) with {@code KEYFERRY_HOME} set to
		 * the home, in that directory.
		 * @param args the keyferry arguments
		 * @return the running process
		 */
		public KeyferryProcess start(String... args) {
			List<String> command = new ArrayList<>();
			if (this.viaLauncher) {
				command.add("bash");
				command.add(launcher().toString());
			}
			else {
				command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
				command.addAll(JVM_OPTIONS);
				if (this.fatJar) {
					command.add("-jar");
					command.add(jar().toString());
				}
				else {
					command.addAll(ClassDataArchive.arguments(JVM_OPTIONS));
				}
			}
			command.addAll(Arrays.asList(args));
			try {
				Path output = Files.createDirectories(this.home.resolve("test-output"));
				String name = COUNTER.incrementAndGet() + "-" + ((args.length > 0) ? args[0] : "keyferry");
				Path stdout = output.resolve(name + ".stdout");
				Path stderr = output.resolve(name + ".stderr");
				ProcessBuilder builder = new ProcessBuilder(command).directory(this.home.toFile())
					.redirectOutput(stdout.toFile())
					.redirectError(stderr.toFile())
					.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
				Map<String, String> environment = builder.environment();
				CLEARED_ENVIRONMENT.forEach(environment::remove);
				environment.put("KEYFERRY_HOME", this.home.toString());
				if (this.viaLauncher) {
					LAUNCHER_ENVIRONMENT.forEach(environment::remove);
					environment.put("KEYFERRY_JAR", jar().toString());
					environment.put("JAVA_HOME", System.getProperty("java.home"));
					// the launcher's class-data cache stays in the test's directory
					environment.put("KEYFERRY_CACHE", this.home.resolve("launcher-cache").toString());
				}
				environment.putAll(this.environment);
				return new KeyferryProcess(builder.start(), command, this.home, stdout, stderr);
			}
			catch (IOException ex) {
				throw new UncheckedIOException("could not start " + command, ex);
			}
		}

	}

}
