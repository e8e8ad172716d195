package io.keyferry.testsupport;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Loads many plain keys fast with {@code redis-cli --pipe}, as an operator loads a
 * keyspace: {@code count} strings {@code PREFIX<i>} with small values, every third one
 * with an absolute expiry ({@code SET … PXAT}) so that loading the same keys into two
 * servers gives the same keys, values and expiry times. Needs a redis-cli next to the
 * redis-server binary or on the {@code PATH}. Immutable.
 */
public final class RedisPipe {

	private final int count;

	private final String prefix;

	private final long expiresAt;

	private RedisPipe(int count, String prefix, long expiresAt) {
		this.count = count;
		this.prefix = prefix;
		this.expiresAt = expiresAt;
	}

	/**
	 * {@code count} keys named {@code pipe:<i>}, a third of them expiring in an hour.
	 * @param count the number of keys
	 * @return the keys
	 */
	public static RedisPipe keys(int count) {
		return new RedisPipe(count, "pipe:", System.currentTimeMillis() + 3_600_000);
	}

	/**
	 * The name of the key of an index.
	 * @param index the index
	 * @return the name
	 */
	public String key(int index) {
		return this.prefix + index;
	}

	/**
	 * Loads the keys into each server, replacing keys of the same names, and waits until
	 * redis-cli has every reply.
	 * @param servers the servers
	 */
	public void loadInto(RedisServer... servers) {
		try {
			Path dir = Files.createTempDirectory("keyferry-pipe-");
			try {
				Path commands = dir.resolve("commands.resp");
				try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(commands), 1 << 16)) {
					for (int i = 0; i < this.count; i++) {
						String key = key(i);
						String value = "value-" + i + "-" + Integer.toHexString(i * 31 + 7);
						if (i % 3 == 0) {
							command(out, "SET", key, value, "PXAT", Long.toString(this.expiresAt + i));
						}
						else {
							command(out, "SET", key, value);
						}
					}
				}
				for (RedisServer server : servers) {
					pipe(server, commands, dir.resolve("redis-cli-" + server.port() + ".log"));
				}
			}
			finally {
				try (var paths = Files.list(dir)) {
					for (Path path : paths.toList()) {
						Files.deleteIfExists(path);
					}
				}
				Files.deleteIfExists(dir);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private void pipe(RedisServer server, Path commands, Path log) throws IOException {
		Path cli = RedisBinaries.onPath(System.getenv("PATH"), "redis-cli")
			.orElseThrow(() -> new IllegalStateException(
					"no redis-cli on the PATH: install it (apt-get install redis-tools, brew install redis)"));
		Process process = new ProcessBuilder(cli.toString(), "-h", server.host(), "-p", Integer.toString(server.port()),
				"--pipe")
			.redirectInput(commands.toFile())
			.redirectErrorStream(true)
			.redirectOutput(Redirect.to(log.toFile()))
			.start();
		try {
			if (!process.waitFor(3, TimeUnit.MINUTES)) {
				process.destroyForcibly();
				throw new IllegalStateException("redis-cli --pipe did not finish within 3 minutes");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			process.destroyForcibly();
			throw new IllegalStateException("interrupted while loading keys", ex);
		}
		String output = Files.readString(log, StandardCharsets.UTF_8);
		if (process.exitValue() != 0 || !output.contains("errors: 0, replies: " + this.count)) {
			throw new IllegalStateException("redis-cli --pipe into " + server + " failed:\n" + output);
		}
	}

	private static void command(OutputStream out, String... args) throws IOException {
		StringBuilder sb = new StringBuilder().append('*').append(args.length).append("\r\n");
		for (String arg : args) {
			sb.append('$')
				.append(arg.getBytes(StandardCharsets.UTF_8).length)
				.append("\r\n")
				.append(arg)
				.append("\r\n");
		}
		out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
	}

}
