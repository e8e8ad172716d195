package io.keyferry.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;

import org.testcontainers.DockerClientFactory;

/**
 * Decides which redis-server the fixture runs, in this order: the binary named by
 * {@value #ENVIRONMENT_VARIABLE}, {@code redis-server} on the {@code PATH}, a Docker
 * container, the Redis 6.2 binary shipped inside the
 * {@code com.github.codemonstur:embedded-redis} jar. When none works it fails with what
 * to install: a suite without a server must not look green. Thread-safe; the choice and
 * the extracted binary are made once per JVM.
 */
final class RedisBinaries {

	static final String ENVIRONMENT_VARIABLE = "KEYFERRY_REDIS_SERVER";

	static final String NOT_FOUND = "no redis-server found: install it (apt-get install redis-server, brew install redis) or set "
			+ ENVIRONMENT_VARIABLE;

	private static Choice defaultChoice;

	private static String defaultProblem;

	private static Optional<Path> embedded;

	private static String embeddedProblem;

	private RedisBinaries() {
	}

	/**
	 * Which server to run: a local binary, or a container when {@link #binary()} is
	 * empty.
	 *
	 * @param binary the redis-server executable, empty for a container
	 * @param description how it was found, for messages
	 */
	record Choice(Optional<Path> binary, String description) {

		boolean container() {
			return this.binary.isEmpty();
		}

	}

	/** The choice for this JVM's environment, made once. */
	static synchronized Choice choose() {
		if (defaultChoice == null && defaultProblem == null) {
			try {
				defaultChoice = choose(System.getenv(), RedisBinaries::dockerAvailable, RedisBinaries::embedded);
			}
			catch (IllegalStateException ex) {
				defaultProblem = ex.getMessage();
			}
		}
		if (defaultProblem != null) {
			throw new IllegalStateException(defaultProblem);
		}
		return defaultChoice;
	}

	static Choice choose(Map<String, String> environment, BooleanSupplier docker, Supplier<Optional<Path>> embedded) {
		String configured = environment.get(ENVIRONMENT_VARIABLE);
		if (configured != null && !configured.isBlank()) {
			Path binary = Paths.get(configured);
			if (!Files.isRegularFile(binary) || !Files.isExecutable(binary)) {
				throw new IllegalStateException(ENVIRONMENT_VARIABLE + "=" + configured
						+ " is not an executable file: point it to a redis-server binary or unset it");
			}
			return new Choice(Optional.of(binary), ENVIRONMENT_VARIABLE);
		}
		Optional<Path> onPath = onPath(environment.get("PATH"));
		if (onPath.isPresent()) {
			return new Choice(onPath, "PATH");
		}
		if (docker.getAsBoolean()) {
			return new Choice(Optional.empty(), "Docker");
		}
		Optional<Path> fallback = embedded.get();
		if (fallback.isPresent()) {
			return new Choice(fallback, "embedded-redis jar");
		}
		throw new IllegalStateException(NOT_FOUND + " (tried " + ENVIRONMENT_VARIABLE
				+ ", PATH, Docker and the Redis 6.2 binary of embedded-redis" + embeddedProblemSuffix() + ")");
	}

	/**
	 * The Redis 6.2 server of the embedded-redis jar for this platform, extracted once to
	 * a temporary file.
	 * @throws IllegalStateException if the jar has no binary for this platform or it does
	 * not run
	 */
	static Path embeddedRedis62() {
		return embedded().orElseThrow(() -> new IllegalStateException(
				"the Redis 6.2 server of embedded-redis is not usable here" + embeddedProblemSuffix()));
	}

	static synchronized Optional<Path> embedded() {
		if (embedded == null) {
			try {
				embedded = Optional.of(extractEmbedded());
			}
			catch (IOException | IllegalStateException ex) {
				embeddedProblem = ex.getMessage();
				embedded = Optional.empty();
			}
		}
		return embedded;
	}

	static Optional<Path> onPath(String path) {
		return onPath(path, "redis-server");
	}

	/**
	 * The first executable of a name on a search path.
	 * @param path the search path, e.g. the value of {@code PATH}
	 * @param name the executable's name, e.g. {@code redis-cli}
	 * @return the executable, empty when there is none
	 */
	static Optional<Path> onPath(String path, String name) {
		if (path == null) {
			return Optional.empty();
		}
		for (String dir : path.split(Pattern.quote(File.pathSeparator))) {
			if (!dir.isEmpty()) {
				Path candidate = Paths.get(dir, name);
				if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
					return Optional.of(candidate);
				}
			}
		}
		return Optional.empty();
	}

	private static boolean dockerAvailable() {
		try {
			return DockerClientFactory.instance().isDockerAvailable();
		}
		catch (RuntimeException | LinkageError ex) {
			return false;
		}
	}

	private static String embeddedProblemSuffix() {
		return (embeddedProblem != null) ? ": " + embeddedProblem : "";
	}

	private static Path extractEmbedded() throws IOException {
		Pattern name = Pattern.compile("redis-server-6\\.2[.\\d]*(-v\\d+)?-" + platform());
		try (JarFile jar = new JarFile(embeddedRedisJar().toFile())) {
			JarEntry entry = jar.stream()
				.filter((candidate) -> name.matcher(candidate.getName()).matches())
				.findFirst()
				.orElseThrow(
						() -> new IllegalStateException("embedded-redis has no Redis 6.2 binary for " + platform()));
			Path dir = Files.createTempDirectory("keyferry-redis-bin-");
			// Deleted on exit in reverse order of registration: the file, then its
			// directory.
			dir.toFile().deleteOnExit();
			Path binary = dir.resolve(entry.getName());
			binary.toFile().deleteOnExit();
			try (InputStream in = jar.getInputStream(entry)) {
				Files.copy(in, binary, StandardCopyOption.REPLACE_EXISTING);
			}
			if (!binary.toFile().setExecutable(true)) {
				throw new IllegalStateException("could not make " + binary + " executable");
			}
			checkRuns(binary);
			return binary;
		}
	}

	private static Path embeddedRedisJar() {
		try {
			return Paths
				.get(redis.embedded.RedisServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
		}
		catch (URISyntaxException | RuntimeException | LinkageError ex) {
			throw new IllegalStateException("com.github.codemonstur:embedded-redis is not on the test classpath");
		}
	}

	private static void checkRuns(Path binary) throws IOException {
		Process process = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
		try {
			String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
			if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
				throw new IllegalStateException(binary.getFileName() + " does not run here: " + output);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("interrupted while checking " + binary);
		}
		finally {
			process.destroyForcibly();
		}
	}

	private static String platform() {
		String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
		String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
		String osName = os.contains("mac") ? "darwin" : os.contains("linux") ? "linux" : os.replace(' ', '-');
		String archName = switch (arch) {
			case "amd64", "x86_64" -> "amd64";
			case "aarch64", "arm64" -> "arm64";
			default -> arch;
		};
		return osName + "-" + archName;
	}

}
