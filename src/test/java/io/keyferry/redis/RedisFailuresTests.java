package io.keyferry.redis;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import io.keyferry.KeyferryException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link RedisFailures}: which errors are a key's problem, worth retrying, or
 * fatal, and the messages the operator sees.
 */
class RedisFailuresTests {

	private static final Endpoint TARGET = Endpoint.parse("target", "redis://app:t0psecret@10.1.2.3:6380/2");

	private static final Endpoint SOURCE = Endpoint.parse("source", "redis://:t0psecret@10.1.2.4:6379");

	@ParameterizedTest
	@CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
			BUSYKEY Target key name already exists.                                 | KEY
			ERR DUMP payload version or checksum are wrong                           | KEY
			ERR Bad data format                                                      | KEY
			ERR some reply nobody has seen before                                    | KEY
			OOM command not allowed when used memory > 'maxmemory'.                  | TRANSIENT
			oom command not allowed                                                  | TRANSIENT
			READONLY You can't write against a read only replica.                   | TRANSIENT
			LOADING Redis is loading the dataset in memory                           | TRANSIENT
			MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'. | TRANSIENT
			BUSY Redis is busy running a script.                                     | TRANSIENT
			TRYAGAIN Multiple keys request during rehashing of slot                  | TRANSIENT
			ERR max number of clients reached                                        | TRANSIENT
			NOPERM this user has no permissions to run the 'restore' command         | FATAL
			NOAUTH Authentication required.                                          | FATAL
			WRONGPASS invalid username-password pair or user is disabled.            | FATAL
			MOVED 3999 127.0.0.1:6381                                                | FATAL
			ERR unknown command 'RESTORE', with args beginning with:                 | FATAL
			""")
	void classifiesRestoreReplies(String reply, RedisFailures.Kind kind) {
		assertThat(RedisFailures.classifyReply(reply)).isEqualTo(kind);
	}

	@Test
	void classifiesExceptions() {
		assertThat(RedisFailures.classify(new RedisCommandTimeoutException("Command timed out")))
			.isEqualTo(RedisFailures.Kind.TRANSIENT);
		assertThat(RedisFailures.classify(new RedisConnectionException("Connection refused")))
			.isEqualTo(RedisFailures.Kind.TRANSIENT);
		assertThat(RedisFailures.classify(new RedisException("Connection closed")))
			.isEqualTo(RedisFailures.Kind.TRANSIENT);
		assertThat(RedisFailures.classify(new ExecutionException(new RedisCommandExecutionException("OOM no"))))
			.isEqualTo(RedisFailures.Kind.TRANSIENT);
		assertThat(RedisFailures.classify(new CompletionException(new RedisCommandExecutionException("NOPERM x"))))
			.isEqualTo(RedisFailures.Kind.FATAL);
		assertThat(RedisFailures.classify(new RedisCommandExecutionException("BUSYKEY exists")))
			.isEqualTo(RedisFailures.Kind.KEY);
		assertThat(RedisFailures.classify(new IllegalStateException("bug"))).isEqualTo(RedisFailures.Kind.FATAL);
	}

	@Test
	void codeIsTheFirstWordInUpperCase() {
		assertThat(RedisFailures.code("BUSYKEY Target key name already exists.")).isEqualTo("BUSYKEY");
		assertThat(RedisFailures.code("oom command not allowed")).isEqualTo("OOM");
		assertThat(RedisFailures.code("LOADING")).isEqualTo("LOADING");
		assertThat(RedisFailures.code(null)).isEmpty();
	}

	@Test
	void describesTargetOutOfMemoryWithAHintAndKeepsTheRunResumable() {
		KeyferryException ex = RedisFailures.describe("target", TARGET,
				new RedisCommandExecutionException("OOM command not allowed when used memory > 'maxmemory'."));

		assertThat(ex.isUsage()).isFalse();
		assertThat(ex.getMessage()).contains("target redis://app@10.1.2.3:6380/2").contains("out of memory");
		assertThat(ex.getHint()).contains("maxmemory").contains("resumable");
	}

	@Test
	void describesMissingPermissionNamingWhatToGrant() {
		KeyferryException ex = RedisFailures.describe("source", SOURCE,
				new RedisCommandExecutionException("NOPERM this user has no permissions to run the 'dump' command"));

		assertThat(ex.getMessage()).contains("source").contains("permission").contains("'dump'");
		assertThat(ex.getHint()).contains("+dump");
	}

	@Test
	void describesAuthenticationFailureAsUsageErrorNamingThePasswordVariable() {
		KeyferryException ex = RedisFailures.describe("source", SOURCE,
				new RedisCommandExecutionException("WRONGPASS invalid username-password pair or user is disabled."));

		assertThat(ex.isUsage()).isTrue();
		assertThat(ex.getMessage()).startsWith("authentication failed for source");
		assertThat(ex.getHint()).contains("KEYFERRY_SOURCE_PASSWORD");
	}

	@Test
	void describesTimeoutAndLostConnection() {
		assertThat(RedisFailures.describe("target", TARGET, new RedisCommandTimeoutException("Command timed out"))
			.getHint()).contains("--timeout");
		assertThat(RedisFailures.describe("source", SOURCE, new RedisConnectionException("Connection closed"))
			.getMessage()).startsWith("lost the connection to source");
	}

	@Test
	void messagesNeverContainThePassword() {
		Throwable[] failures = { new RedisCommandExecutionException("OOM command not allowed"),
				new RedisCommandExecutionException("READONLY replica"),
				new RedisCommandExecutionException("NOPERM no permissions to run the 'restore' command"),
				new RedisCommandExecutionException("WRONGPASS invalid"),
				new RedisCommandExecutionException("MOVED 1 h:1"),
				new RedisCommandExecutionException("ERR unknown command 'RESTORE'"),
				new RedisCommandExecutionException("ERR other"), new RedisCommandTimeoutException("timed out"),
				new RedisConnectionException("refused") };
		for (Throwable failure : failures) {
			for (Endpoint endpoint : new Endpoint[] { SOURCE, TARGET }) {
				KeyferryException ex = RedisFailures.describe(endpoint.role(), endpoint, failure);
				assertThat(ex.getMessage()).as("message for %s", failure).doesNotContain("t0psecret");
				assertThat(ex.getHint()).as("hint for %s", failure).isNotBlank().doesNotContain("t0psecret");
			}
		}
	}

}
