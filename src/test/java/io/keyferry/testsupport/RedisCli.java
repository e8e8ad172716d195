package io.keyferry.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs {@code redis-cli --cluster ...} for a {@link RedisCluster}, each run a child
 * process of this JVM with a deadline, its output in a file of a directory this object
 * owns. The password, if any, goes through {@code REDISCLI_AUTH}, never the command line.
 * Not thread-safe.
 */
final class RedisCli implements AutoCloseable {

	private static final Duration TIMEOUT = Duration.ofMinutes(3);

	private final Path executable;

	private final Path dir;

	private final String password;

	private final List<String> connectionArgs;

	private RedisCli(Path executable, Path dir, String password, List<String> connectionArgs) {
		this.executable = executable;
		this.dir = dir;
		this.password = password;
		this.connectionArgs = List.copyOf(connectionArgs);
	}

	/**
	 * The redis-cli next to a redis-server binary, else the first on the {@code PATH}.
	 * @param redisServer the redis-server binary
	 * @param password the default user's password, or {@code null}
	 * @return the runner
	 * @throws IllegalStateException when there is no redis-cli, saying what to install
	 */
	static RedisCli nextTo(Path redisServer, String password) {
		return nextTo(redisServer, password, List.of());
	}

	/**
	 * The redis-cli next to a redis-server binary, else the first on the {@code PATH},
	 * connecting with more options (e.g. {@code --tls --cacert FILE}).
	 * @param redisServer the redis-server binary
	 * @param password the default user's password, or {@code null}
	 * @param connectionArgs options before {@code --cluster}
	 * @return the runner
	 */
	static RedisCli nextTo(Path redisServer, String password, List<String> connectionArgs) {
		Path sibling = redisServer.resolveSibling("redis-cli");
		Path executable = (Files.isRegularFile(sibling) && Files.isExecutable(sibling)) ? sibling
				: RedisBinaries.onPath(System.getenv("PATH"), "redis-cli")
					.orElseThrow(() -> new IllegalStateException("no redis-cli next to " + redisServer
							+ " or on the PATH: install it (apt-get install redis-tools, brew install redis);"
							+ " a RedisCluster is created with redis-cli --cluster create"));
		try {
			return new RedisCli(executable, Files.createTempDirectory("keyferry-cluster-"), password, connectionArgs);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("could not create a directory for redis-cli's output", ex);
		}
	}

	/**
	 * Runs {@code redis-cli --cluster args...} and waits for it to exit.
	 * @param args the arguments after {@code --cluster}, e.g.
	 * {@code create host:port ...}
	 * @return its output
	 * @throws IllegalStateException when it fails or does not finish in time, with its
	 * output
	 */
	String cluster(String... args) {
		List<String> command = new ArrayList<>(List.of(this.executable.toString()));
		command.addAll(this.connectionArgs);
		command.add("--cluster");
		command.addAll(Arrays.asList(args));
		Path output;
		try {
			output = Files.createTempFile(this.dir, "redis-cli-", ".log");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		ProcessBuilder builder = new ProcessBuilder(command).directory(this.dir.toFile())
			.redirectErrorStream(true)
			.redirectOutput(output.toFile())
			.redirectInput(Redirect.PIPE);
		builder.environment().remove("REDISCLI_AUTH");
		if (this.password != null) {
			builder.environment().put("REDISCLI_AUTH", this.password);
		}
		Process process;
		try {
			process = builder.start();
			// --cluster-yes answers the questions; nothing else may wait for input.
			process.getOutputStream().close();
		}
		catch (IOException ex) {
			throw new IllegalStateException("could not run " + this.executable + ": " + ex.getMessage(), ex);
		}
		try {
			boolean exited = process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
			if (!exited) {
				process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
			}
			String text = Files.readString(output, StandardCharsets.UTF_8);
			if (!exited || process.exitValue() != 0) {
				throw new IllegalStateException(String.join(" ", command)
						+ (exited ? " exited with " + process.exitValue() : " did not finish within " + TIMEOUT) + ":\n"
						+ text);
			}
			return text;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			process.destroyForcibly();
			throw new IllegalStateException("interrupted while running redis-cli", ex);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Deletes the output directory. */
	@Override
	public void close() {
		try (Stream<Path> paths = Files.walk(this.dir)) {
			for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
				Files.deleteIfExists(path);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException("could not delete " + this.dir, ex);
		}
	}

}
