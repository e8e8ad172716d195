package io.keyferry.run;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.keyferry.KeyferryException;
import io.keyferry.redis.Backoff;
import io.keyferry.redis.CommandProbe;
import io.keyferry.redis.ConflictPolicy;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.RedisConnector;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.lettuce.core.AclSetuserArgs;
import io.lettuce.core.protocol.CommandType;
import io.keyferry.testsupport.TestData;
import io.keyferry.job.BatchRuntime;
import io.keyferry.job.CopySettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Tests of {@link Preflight} started in the background (as {@code keyferry copy} does
 * while Spring starts): it gives the same result and the same errors as the checks run in
 * place, and it is left to Spring when the user sets a connect timeout. The command
 * line's errors are tested in {@code io.keyferry.cli.PreflightIntegrationTests}.
 */
@ExtendWith(RedisServerExtension.class)
class PreflightIntegrationTests {

	@Test
	void checksInTheBackgroundGiveTheSourcesKeyCount(RedisServer source, RedisServer target) {
		TestData.keys(37).loadInto(source);

		Preflight checks = Preflight.prepare(settings(source.uri(), target.uri()), Preflight.DEFAULT_TIMEOUT);
		checks.start();
		checks.start();

		assertThat(checks.join()).isEqualTo(37);
		assertThat(target.sync().dbsize()).as("the checks write nothing").isZero();
	}

	@Test
	void aFailedBackgroundCheckThrowsTheSameErrorAsInPlace(RedisServer target) throws IOException {
		CopySettings settings = settings("redis://127.0.0.1:" + unusedPort(), target.uri());

		KeyferryException inPlace;
		try (RedisConnector connector = new RedisConnector(Preflight.DEFAULT_TIMEOUT)) {
			inPlace = catchThrowableOfType(KeyferryException.class, () -> Preflight.check(connector, settings));
		}
		Preflight checks = Preflight.prepare(settings, Preflight.DEFAULT_TIMEOUT);
		checks.start();

		assertThat(inPlace).isNotNull();
		assertThatThrownBy(checks::join).isInstanceOf(KeyferryException.class)
			.hasMessage(inPlace.getMessage())
			.satisfies((ex) -> assertThat(((KeyferryException) ex).getHint()).isEqualTo(inPlace.getHint()));
	}

	@Test
	void aSameDatabaseErrorComesFromTheBackgroundToo(RedisServer server) {
		// join() starts checks nobody started
		Preflight checks = Preflight.prepare(settings(server.uri(), server.uri()), Preflight.DEFAULT_TIMEOUT);

		assertThatThrownBy(checks::join).isInstanceOf(KeyferryException.class)
			.hasMessage("the source and the target are the same database");
	}

	@Test
	void withInfoDeniedAnOlderSourceIsAskedForPttlNotPexpiretime(@RedisServerOptions(old = true) RedisServer source,
			RedisServer target) {
		source.sync()
			.aclSetuser("copier",
					AclSetuserArgs.Builder.on()
						.addPassword("pw")
						.allKeys()
						.addCommand(CommandType.SCAN)
						.addCommand(CommandType.DUMP)
						.addCommand(CommandType.PTTL));
		CopySettings settings = settings(source.uri("copier", "pw"), target.uri());

		try (RedisConnector connector = new RedisConnector(Preflight.DEFAULT_TIMEOUT)) {
			assertThatThrownBy(() -> Preflight.check(connector, settings)).isInstanceOf(KeyferryException.class)
				.hasMessage("the source user copier may not run INFO, which this copy needs");
		}
	}

	@Test
	void aUserWhoMayNotSelectTheDatabaseIsAUsageError(RedisServer source, RedisServer target) {
		target.sync()
			.aclSetuser("writer",
					AclSetuserArgs.Builder.on()
						.addPassword("pw")
						.allKeys()
						.allCommands()
						.removeCommand(CommandType.SELECT));
		CopySettings settings = settings(source.uri(), target.uri("writer", "pw") + "/1");

		try (RedisConnector connector = new RedisConnector(Preflight.DEFAULT_TIMEOUT)) {
			assertThatThrownBy(() -> Preflight.check(connector, settings)).isInstanceOf(KeyferryException.class)
				.hasMessage("the target user writer may not run SELECT, which this copy needs")
				.satisfies((ex) -> {
					assertThat(((KeyferryException) ex).isUsage()).isTrue();
					assertThat(((KeyferryException) ex).getHint()).endsWith(": ACL SETUSER writer +select");
				});
		}
	}

	@Test
	void commandsAServerDoesNotKnowAreNamedApartFromDeniedOnes() {
		Endpoint source = Endpoint.parse("source", "redis://app@10.0.0.1:6379");
		Endpoint target = Endpoint.parse("target", "redis://10.0.0.2:6379/1");

		KeyferryException refused = Preflight.refused(source,
				List.of(new CommandProbe.Refusal("dump", false, "NOPERM"),
						new CommandProbe.Refusal("scan", true, "ERR unknown command")),
				target, List.of(new CommandProbe.Refusal("restore", false, "NOPERM")));

		assertThat(refused.isUsage()).isTrue();
		assertThat(refused.getMessage()).isEqualTo("the source user app may not run DUMP, and the source does not know "
				+ "SCAN, and the target user default may not run RESTORE, which this copy needs");
		assertThat(refused.getHint()).isEqualTo("grant them on the source redis://app@10.0.0.1:6379/0: ACL SETUSER app "
				+ "+dump; on the target redis://10.0.0.2:6379/1: ACL SETUSER default +restore; a command the source "
				+ "does not know was disabled or renamed: enable it for keyferry's user");
	}

	@Test
	void aConnectTimeoutOfTheUsersIsLeftToSpring() {
		assertThat(BatchRuntime.connectTimeoutConfigured(Map.of())).isFalse();
		assertThat(BatchRuntime.connectTimeoutConfigured(Map.of("keyferry.connect-timeout", "30s"))).isTrue();
		assertThat(BatchRuntime.connectTimeoutConfigured(Map.of("keyferry.connectTimeout", "30s"))).isTrue();
	}

	private static CopySettings settings(String source, String target) {
		return new CopySettings(Endpoint.parse("source", source), Endpoint.parse("target", target), "*", null, false, 0,
				ConflictPolicy.REPLACE, 1000, 1000, 4, 1, 512L * 1024 * 1024, CopySettings.DEFAULT_CHUNK_BYTES, 0,
				Duration.ofSeconds(10), Backoff.DEFAULT);
	}

	private static int unusedPort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
	}

}
