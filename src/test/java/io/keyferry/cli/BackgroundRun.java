package io.keyferry.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.RedisServer;

import static org.assertj.core.api.Assertions.fail;

/**
 * A keyferry command line run in-process on a thread of its own (e.g. a rate-limited
 * copy), so that the test thread can run other commands against the same job repository
 * while it goes: {@code history}, {@code stop}. Not thread-safe: one test owns it.
 */
final class BackgroundRun implements AutoCloseable {

	private final ExecutorService executor;

	private final Future<CliRun> run;

	private final ByteArrayOutputStream err;

	private final String description;

	private BackgroundRun(ExecutorService executor, Future<CliRun> run, ByteArrayOutputStream err, String description) {
		this.executor = executor;
		this.run = run;
		this.err = err;
		this.description = description;
	}

	/**
	 * Starts a command line.
	 * @param args the arguments
	 * @return the running command
	 */
	static BackgroundRun start(String... args) {
		ExecutorService executor = Executors.newSingleThreadExecutor((task) -> {
			Thread thread = new Thread(task, "keyferry-background-" + args[0]);
			thread.setDaemon(true);
			return thread;
		});
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		ByteArrayOutputStream err = new ByteArrayOutputStream();
		Future<CliRun> run = executor.submit(() -> {
			int exitCode;
			try (PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
					PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
				exitCode = KeyferryCommand.execute(false, outStream, errStream, args);
			}
			return new CliRun(exitCode, text(out), text(err));
		});
		return new BackgroundRun(executor, run, err, String.join(" ", args));
	}

	/**
	 * Waits until the command has written one of the given texts on stderr, e.g.
	 * {@code "starting run"}: its Spring context is up and its job launched. Start no
	 * other in-process command before that: two Spring contexts starting at once in one
	 * JVM race on the logging configuration.
	 * @param timeout how long to wait
	 * @param texts the texts, any of which will do
	 */
	void awaitStderr(Duration timeout, String... texts) {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (true) {
			String written = text(this.err);
			for (String text : texts) {
				if (written.contains(text)) {
					return;
				}
			}
			if (isDone()) {
				fail("keyferry " + this.description + " ended before writing any of " + List.of(texts) + " on stderr\n"
						+ await(Duration.ZERO));
			}
			if (System.nanoTime() > deadline) {
				fail("keyferry " + this.description + " wrote none of " + List.of(texts) + " on stderr within "
						+ timeout.toSeconds() + " s; stderr so far:\n" + written);
			}
			RedisServer.pause(20);
		}
	}

	private static String text(ByteArrayOutputStream stream) {
		return stream.toString(StandardCharsets.UTF_8);
	}

	boolean isDone() {
		return this.run.isDone();
	}

	/**
	 * Waits for the command to end.
	 * @param timeout how long to wait
	 * @return what it printed and its exit code
	 */
	CliRun await(Duration timeout) {
		try {
			return this.run.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (TimeoutException ex) {
			throw new AssertionError(
					"keyferry " + this.description + " did not end within " + timeout.toSeconds() + " s", ex);
		}
		catch (ExecutionException ex) {
			throw new AssertionError("keyferry " + this.description + " threw " + ex.getCause(), ex.getCause());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("interrupted", ex);
		}
	}

	/**
	 * Polls {@code keyferry history --json} until its newest entry satisfies a condition;
	 * fails when this run ends first or the time runs out. Call it once this run's
	 * context is up (see {@link #awaitStderr}).
	 * @param historyArgs {@code history} and its global options (home, repository)
	 * @param condition what the newest entry must satisfy
	 * @param timeout how long to wait
	 * @return the newest entry
	 */
	Map<String, Object> awaitNewestEntry(List<String> historyArgs, Predicate<Map<String, Object>> condition,
			Duration timeout) {
		long deadline = System.nanoTime() + timeout.toNanos();
		String last = "";
		while (true) {
			if (isDone()) {
				fail("keyferry " + this.description + " ended before the history showed what was waited for;"
						+ " last history: " + last + "\n" + await(Duration.ZERO));
			}
			CliRun history = CliRun.execute(historyArgs.toArray(String[]::new)).assertExitCode(ExitCode.OK);
			last = history.out();
			List<Map<String, Object>> entries = JsonDocument.objects(history.out());
			if (!entries.isEmpty() && condition.test(entries.get(0))) {
				return entries.get(0);
			}
			if (System.nanoTime() > deadline) {
				fail("the history did not show what was waited for within " + timeout.toSeconds() + " s; last: "
						+ last);
			}
			RedisServer.pause(100);
		}
	}

	/** Stops waiting for the command; it goes on until it ends on its own. */
	@Override
	public void close() {
		this.executor.shutdown();
	}

}
