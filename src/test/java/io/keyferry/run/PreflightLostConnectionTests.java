package io.keyferry.run;

import io.keyferry.KeyferryException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which failures of the checks are retried on new connections: a connection lost, whether
 * a call described it or Lettuce's exception reached the checks as it was thrown (CI once
 * ended a copy with {@code RedisException: Currently not connected} from a
 * {@code CLUSTER NODES} right after connecting); never a refusal, a reply or a timeout.
 */
class PreflightLostConnectionTests {

	@Test
	void aConnectionLostIsRetriedDescribedOrNot() {
		RedisException notConnected = new RedisException("Currently not connected. Commands are rejected.");
		assertThat(Preflight.isLostConnection(notConnected)).isTrue();
		assertThat(Preflight.isLostConnection(new RedisConnectionException("Connection closed prematurely"))).isTrue();
		assertThat(
				Preflight.isLostConnection(new KeyferryException("could not reach the source", "hint", notConnected)))
			.isTrue();
	}

	@Test
	void refusalsRepliesAndTimeoutsAreNotRetried() {
		assertThat(Preflight.isLostConnection(KeyferryException.usage("may not run READONLY", "grant it"))).isFalse();
		assertThat(Preflight.isLostConnection(new RedisCommandExecutionException("NOPERM no permissions"))).isFalse();
		assertThat(Preflight.isLostConnection(new RedisCommandTimeoutException("timed out"))).isFalse();
		assertThat(Preflight.isLostConnection(
				new KeyferryException("the source timed out", "hint", new RedisCommandTimeoutException("timed out"))))
			.isFalse();
		assertThat(Preflight.isLostConnection(new IllegalStateException("bug"))).isFalse();
	}

}
