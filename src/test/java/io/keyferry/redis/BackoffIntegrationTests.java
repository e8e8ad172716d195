package io.keyferry.redis;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.keyferry.KeyferryException;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Backoff#call} with attempts that open a connection of their own, as the identity
 * checks and the target's scans do: a server that is restarting refuses the connection,
 * which the connector describes ({@link KeyferryException}); that is tried again until
 * the server is back, while a wrong password fails at once.
 */
@ExtendWith(RedisServerExtension.class)
class BackoffIntegrationTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	/** Twenty retries of 100 ms: long enough for a restart on a loaded machine. */
	private static final Backoff PATIENT = new Backoff(20, Duration.ofMillis(100), Duration.ofMillis(100));

	@Test
	void aConnectionRefusedByARestartingServerIsMadeAgain(RedisServer server) throws Exception {
		Endpoint endpoint = Endpoint.parse("source", server.uri());
		server.kill();
		AtomicInteger attempts = new AtomicInteger();
		CountDownLatch refused = new CountDownLatch(2);
		try (RedisConnector connector = new RedisConnector(TIMEOUT)) {
			CompletableFuture<Void> restart = CompletableFuture.runAsync(() -> {
				try {
					// restarted only once two attempts were refused
					assertThat(refused.await(60, TimeUnit.SECONDS)).isTrue();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					throw new IllegalStateException(ex);
				}
				server.restart();
			});
			String runId = PATIENT.call(() -> {
				attempts.incrementAndGet();
				try {
					return connector.runId(endpoint);
				}
				catch (KeyferryException ex) {
					refused.countDown();
					throw ex;
				}
			}, () -> false, (failure) -> new IllegalStateException("gave up", failure));
			restart.get(60, TimeUnit.SECONDS);

			assertThat(runId).isEqualTo(server.runId());
			assertThat(attempts).as("attempts, the refused ones included").hasValueGreaterThanOrEqualTo(3);
		}
	}

	@Test
	void aWrongPasswordFailsAtOnce(RedisServer server) {
		server.sync()
			.aclSetuser("copier", io.lettuce.core.AclSetuserArgs.Builder.on().addPassword("right").allCommands());
		Endpoint endpoint = Endpoint.parse("source", server.uri("copier", "wrong"));
		AtomicInteger attempts = new AtomicInteger();
		try (RedisConnector connector = new RedisConnector(TIMEOUT)) {
			assertThatThrownBy(() -> PATIENT.call(() -> {
				attempts.incrementAndGet();
				return connector.runId(endpoint);
			}, () -> false, (failure) -> new IllegalStateException("gave up", failure)))
				.isInstanceOf(KeyferryException.class)
				.hasMessageContaining("authentication failed");
			assertThat(attempts).hasValue(1);
		}
	}

}
