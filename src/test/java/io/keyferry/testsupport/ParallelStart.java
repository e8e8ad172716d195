package io.keyferry.testsupport;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Starts servers (or clusters) at once, each on a thread of its own: a start mostly waits
 * for processes to answer. When one fails, those that started are closed and the first
 * failure is thrown. Thread-safe.
 */
final class ParallelStart {

	private ParallelStart() {
	}

	/**
	 * Runs every start on a thread of its own and waits for all of them.
	 * @param <T> what is started
	 * @param starts the starts
	 * @param close closes one that started, when another failed
	 * @return what started, in the order of the starts
	 */
	static <T> List<T> all(List<Supplier<T>> starts, Consumer<T> close) {
		List<CompletableFuture<T>> starting = new ArrayList<>();
		for (Supplier<T> start : starts) {
			CompletableFuture<T> started = new CompletableFuture<>();
			Thread thread = new Thread(() -> {
				try {
					started.complete(start.get());
				}
				catch (Throwable ex) {
					started.completeExceptionally(ex);
				}
			}, "test-server-start");
			thread.setDaemon(true);
			thread.start();
			starting.add(started);
		}
		List<T> all = new ArrayList<>();
		RuntimeException failure = null;
		for (CompletableFuture<T> started : starting) {
			try {
				all.add(started.join());
			}
			catch (CompletionException ex) {
				if (failure == null) {
					failure = (ex.getCause() instanceof RuntimeException cause) ? cause : ex;
				}
			}
		}
		if (failure != null) {
			all.forEach(close);
			throw failure;
		}
		return all;
	}

}
