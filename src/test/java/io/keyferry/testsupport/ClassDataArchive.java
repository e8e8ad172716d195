package io.keyferry.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged jar as {@code scripts/keyferry} runs it: extracted with
 * {@code java -Djarmode=tools extract}, with a class-data archive of the classes a
 * {@code copy --verify} loads, recorded once per test JVM by a copy between two servers
 * of its own ({@code -XX:ArchiveClassesAtExit}). A keyferry process then maps those
 * classes instead of loading them from the jar: it starts in about half the time, and the
 * jar tests start hundreds of them. Anything that goes wrong here leaves the extracted
 * jar without an archive (or, when the extraction fails, the jar itself), and a JVM that
 * cannot map the archive loads its classes from the jar: only start-up is slower, never
 * what the process does. Thread-safe.
 */
final class ClassDataArchive {

	/**
	 * Off on the processes under test: an archive the JVM cannot map would be a warning
	 * on stdout (where --json output goes).
	 */
	private static final String QUIET = "-Xlog:cds*=off";

	private static final long RECORDING_TIMEOUT_SECONDS = 180;

	private static List<String> arguments;

	private ClassDataArchive() {
	}

	/**
	 * The JVM arguments that run the packaged jar with the archive, e.g.
	 * {@code -XX:SharedArchiveFile=... -Xlog:cds*=off -jar .../app/keyferry.jar};
	 * prepared on first use.
	 * @param jvmOptions the options of every keyferry JVM (the archive is recorded with
	 * them)
	 * @return the arguments that follow the JVM options
	 */
	static synchronized List<String> arguments(List<String> jvmOptions) {
		if (arguments == null) {
			arguments = prepare(jvmOptions);
		}
		return arguments;
	}

	private static List<String> prepare(List<String> jvmOptions) {
		Path jar = KeyferryProcess.jar();
		Path dir;
		Path extracted;
		try {
			dir = Files.createTempDirectory("keyferry-cds-");
			Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
			extracted = dir.resolve("app").resolve("keyferry.jar");
			int exit = java(dir, List.of("-Djarmode=tools", "-jar", jar.toString(), "extract", "--destination",
					dir.resolve("app").toString(), "--application-filename", "keyferry.jar"));
			if (exit != 0 || !Files.isRegularFile(extracted)) {
				return unavailable("extracting " + jar + " failed (exit " + exit + ")", jar);
			}
		}
		catch (IOException | RuntimeException ex) {
			return unavailable("extracting " + jar + " failed: " + ex, jar);
		}
		Path archive = dir.resolve("keyferry.jsa");
		try {
			record(dir, extracted, archive, jvmOptions);
		}
		catch (IOException | RuntimeException ex) {
			return unavailable("recording the class-data archive failed: " + ex, extracted);
		}
		return List.of("-XX:SharedArchiveFile=" + archive, QUIET, "-jar", extracted.toString());
	}

	/** Records the archive at the exit of a copy between two servers of its own. */
	private static void record(Path dir, Path extracted, Path archive, List<String> jvmOptions) throws IOException {
		try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
			TestData.keys(500).loadInto(source);
			List<String> command = new ArrayList<>(jvmOptions);
			command.addAll(List.of("-XX:ArchiveClassesAtExit=" + archive, QUIET, "-jar", extracted.toString(), "copy",
					"--source", source.uri(), "--target", target.uri(), "--verify", "--json", "--progress", "off"));
			int exit = java(dir, command);
			if (exit != 0 || !Files.isRegularFile(archive)) {
				throw new IllegalStateException("the recording copy ended with exit code " + exit + ": "
						+ Files.readString(dir.resolve("java.err")));
			}
		}
	}

	/**
	 * Runs java with a home of its own in {@code dir}; its output goes to files there.
	 */
	private static int java(Path dir, List<String> arguments) throws IOException {
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		command.addAll(arguments);
		ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
			.redirectOutput(dir.resolve("java.out").toFile())
			.redirectError(dir.resolve("java.err").toFile())
			.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
		builder.environment().remove("JAVA_TOOL_OPTIONS");
		builder.environment().remove("JDK_JAVA_OPTIONS");
		builder.environment().put("KEYFERRY_HOME", dir.resolve("home").toString());
		Process process = builder.start();
		try {
			if (!process.waitFor(RECORDING_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
				process.destroyForcibly();
				process.waitFor(10, TimeUnit.SECONDS);
				throw new IllegalStateException("java did not exit within " + RECORDING_TIMEOUT_SECONDS + " s");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			process.destroyForcibly();
			throw new UncheckedIOException(new IOException("interrupted", ex));
		}
		return process.exitValue();
	}

	private static void delete(Path dir) {
		try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
			paths.sorted(java.util.Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
		}
		catch (IOException | UncheckedIOException ex) {
			// a temporary directory: the system cleans it up eventually
		}
	}

	private static List<String> unavailable(String reason, Path jar) {
		System.err.println("keyferry processes start without class-data sharing: " + reason);
		return List.of("-jar", jar.toString());
	}

}
