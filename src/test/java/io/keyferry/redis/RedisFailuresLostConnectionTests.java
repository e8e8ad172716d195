package io.keyferry.redis;

import io.keyferry.KeyferryException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which failures of the pre-flight checks and of a partition's set-up are tried again: a
 * connection lost, whether a call described it or Lettuce's exception arrived as it was
 * thrown (CI once ended a copy with {@code RedisException: Currently not connected} from
 * a {@code CLUSTER NODES} right after connecting), also inside an
 * {@code ExecutionException}; never a refusal, a reply or a timeout.
 */
class RedisFailuresLostConnectionTests {

	@Test
	void aConnectionLostIsRetriedDescribedOrNot() {
		RedisException notConnected = new RedisException("Currently not connected. Commands are rejected.");
		assertThat(RedisFailures.isLostConnection(notConnected)).isTrue();
		assertThat(RedisFailures.isLostConnection(new RedisConnectionException("Connection closed prematurely")))
			.isTrue();
		assertThat(RedisFailures
			.isLostConnection(new KeyferryException("could not reach the source", "hint", notConnected))).isTrue();
		assertThat(RedisFailures.isLostConnection(
				new KeyferryException("lost", "hint", new java.util.concurrent.ExecutionException(notConnected))))
			.isTrue();
	}

	@Test
	void refusalsRepliesAndTimeoutsAreNotRetried() {
		assertThat(RedisFailures.isLostConnection(KeyferryException.usage("may not run READONLY", "grant it")))
			.isFalse();
		assertThat(RedisFailures.isLostConnection(new RedisCommandExecutionException("NOPERM no permissions")))
			.isFalse();
		assertThat(RedisFailures.isLostConnection(new RedisCommandTimeoutException("timed out"))).isFalse();
		assertThat(RedisFailures.isLostConnection(
				new KeyferryException("the source timed out", "hint", new RedisCommandTimeoutException("timed out"))))
			.isFalse();
		assertThat(RedisFailures.isLostConnection(new IllegalStateException("bug"))).isFalse();
	}

	@Test
	void aServerRestartingIsToldFromOtherConnectFailures() {
		RedisConnectionException refused = new RedisConnectionException("Unable to connect to 127.0.0.1:1",
				new java.net.ConnectException("Connection refused"));
		assertThat(RedisFailures.isRestarting(KeyferryException.usage("cannot connect", "hint", refused))).isTrue();
		assertThat(RedisFailures.isRestarting(new RedisConnectionException("Unable to connect",
				new RedisCommandExecutionException("WRONGPASS invalid username-password pair"))))
			.isFalse();
		assertThat(RedisFailures.isRestarting(new RedisException("Currently not connected. Commands are rejected.")))
			.isFalse();
		assertThat(RedisFailures.isRestarting(KeyferryException.usage("cannot use the source", "hint",
				new RedisConnectionException("Unable to connect",
						new RedisCommandExecutionException("LOADING Redis is loading the dataset in memory")))))
			.isTrue();
		assertThat(RedisFailures
			.isRestarting(new RedisCommandExecutionException("NOPERM this user has no permissions to run 'info'")))
			.isFalse();
	}

}
