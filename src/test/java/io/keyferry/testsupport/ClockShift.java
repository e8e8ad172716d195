package io.keyferry.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs a redis-server on a wall clock shifted from this machine's, as if it ran on
 * another host whose clock is off: a small {@code LD_PRELOAD} library
 * ({@code clockshift.c}, compiled once per JVM with the C compiler on the {@code PATH})
 * offsets {@code CLOCK_REALTIME}, so {@code TIME}, expiries and {@code PEXPIRETIME}
 * follow the shifted clock. libfaketime would be the usual tool but hangs redis-server at
 * start-up (it clashes with jemalloc). Fails with what to install when no compiler
 * exists: a clock test must not be skipped. Thread-safe.
 */
final class ClockShift {

	static final String VARIABLE = "KEYFERRY_CLOCK_SHIFT_MS";

	static final String NO_COMPILER = "a server with a shifted clock needs a C compiler to build its clock shim: "
			+ "install one (apt-get install gcc, or run scripts/install-redis.sh)";

	private static Path library;

	private ClockShift() {
	}

	/**
	 * The environment that shifts a redis-server's clock.
	 * @param offset how far its clock is ahead of this machine's (negative: behind)
	 * @return the environment variables to add
	 */
	static Map<String, String> environment(Duration offset) {
		return Map.of("LD_PRELOAD", library().toString(), VARIABLE, Long.toString(offset.toMillis()));
	}

	static synchronized Path library() {
		if (library == null) {
			library = compile(System.getenv("PATH"));
		}
		return library;
	}

	/**
	 * Builds the shim with the first C compiler found on a {@code PATH}.
	 * @param path the {@code PATH} to search
	 * @return the shared library, in a temporary directory deleted on exit
	 * @throws IllegalStateException with what to install when there is no compiler
	 */
	static Path compile(String path) {
		Path compiler = compiler(path).orElseThrow(() -> new IllegalStateException(NO_COMPILER));
		try {
			Path dir = Files.createTempDirectory("keyferry-clockshift-");
			Path source = dir.resolve("clockshift.c");
			Path output = dir.resolve("libclockshift.so");
			try (InputStream in = ClockShift.class.getResourceAsStream("clockshift.c")) {
				if (in == null) {
					throw new IllegalStateException("clockshift.c is missing from the test resources");
				}
				Files.copy(in, source);
			}
			// Deleted on exit in reverse order of registration.
			dir.toFile().deleteOnExit();
			source.toFile().deleteOnExit();
			output.toFile().deleteOnExit();
			Process process = new ProcessBuilder(compiler.toString(), "-shared", "-fPIC", "-O2", "-o",
					output.toString(), source.toString())
				.redirectErrorStream(true)
				.start();
			String log = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
				process.destroyForcibly();
				throw new IllegalStateException(compiler + " could not build the clock shim: " + log);
			}
			return output;
		}
		catch (IOException ex) {
			throw new IllegalStateException("could not build the clock shim: " + ex.getMessage(), ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("interrupted while building the clock shim", ex);
		}
	}

	private static Optional<Path> compiler(String path) {
		for (String name : new String[] { "cc", "gcc", "clang" }) {
			Optional<Path> found = RedisBinaries.onPath(path, name);
			if (found.isPresent()) {
				return found;
			}
		}
		return Optional.empty();
	}

}
