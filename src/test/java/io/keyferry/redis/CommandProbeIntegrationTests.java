package io.keyferry.redis;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests of {@link CommandProbe} against a real server: every command any run may send is
 * probed without effect, a command denied to the user or unknown to the server is named,
 * and a key pattern that leaves out the probe's key does not hide that the command is
 * allowed.
 */
@ExtendWith(RedisServerExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CommandProbeIntegrationTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	private RedisServer server;

	private RedisConnector connector;

	@BeforeAll
	void startServer(RedisServer server) {
		this.server = server;
	}

	@AfterEach
	void nothingWasWritten() {
		if (this.connector != null) {
			this.connector.close();
		}
		assertThat(this.server.sync().dbsize()).as("keys written by the probes").isZero();
		this.server.sync().aclUsers().stream().filter((user) -> !user.equals("default")).forEach((user) -> {
			this.server.sync().aclDeluser(user);
		});
	}

	@Test
	void everyCommandAnyRunSendsIsAllowedToAUserWithAllCommands() {
		Set<String> all = everyCommand();

		assertThat(refusals("copier", List.copyOf(all), "on", ">pw", "~*", "+@all")).isEmpty();
	}

	@Test
	void aDeniedCommandIsNamed() {
		List<CommandProbe.Refusal> refusals = refusals("copier", List.of("info", "dump", "restore", "type"), "on",
				">pw", "~*", "+@all", "-dump", "-type");

		assertThat(refusals).extracting(CommandProbe.Refusal::command).containsExactly("dump", "type");
		assertThat(refusals).allSatisfy((refusal) -> {
			assertThat(refusal.unknown()).isFalse();
			assertThat(refusal.reply()).startsWith("NOPERM");
		});
	}

	@Test
	void exactlyTheProbedCommandsAreEnough() {
		Set<String> all = everyCommand();
		String[] rules = new String[all.size() + 3];
		rules[0] = "on";
		rules[1] = ">pw";
		rules[2] = "~*";
		int i = 3;
		for (String command : all) {
			rules[i++] = "+" + command;
		}

		assertThat(refusals("copier", List.copyOf(all), rules)).isEmpty();
	}

	@Test
	void aSubcommandIsProbedAsAclRulesNameIt() {
		List<CommandProbe.Refusal> refusals = refusals("copier", List.of("object|idletime", "object|freq"), "on", ">pw",
				"~*", "+object|idletime");

		assertThat(refusals).singleElement().satisfies((refusal) -> {
			assertThat(refusal.command()).isEqualTo("object|freq");
			assertThat(refusal.reply()).startsWith("NOPERM");
		});
	}

	@Test
	void aKeyPatternLeavingOutTheProbeKeyStillShowsWhichCommandsAreAllowed() {
		List<CommandProbe.Refusal> refusals = refusals("copier", List.copyOf(everyCommand()), "on", ">pw", "~app:*",
				"+@all", "-llen");

		assertThat(refusals).extracting(CommandProbe.Refusal::command).containsExactly("llen");
	}

	@Test
	void aCommandTheServerDoesNotKnowIsNamedAsUnknown() {
		try (RedisServer renamed = RedisServer.builder().args("--rename-command", "DUMP", "").start();
				RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection connection = connector.connect(Endpoint.parse("source", renamed.uri()))) {

			List<CommandProbe.Refusal> refusals = CommandProbe.refusals(connection.connection(),
					Endpoint.parse("source", renamed.uri()), List.of("scan", "dump", "time"), TIMEOUT);

			assertThat(refusals).singleElement().satisfies((refusal) -> {
				assertThat(refusal.command()).isEqualTo("dump");
				assertThat(refusal.unknown()).isTrue();
			});
		}
	}

	@Test
	void theSelectedDatabaseIsProbedWithoutLeavingIt() {
		this.server.sync()
			.aclSetuser("copier",
					io.lettuce.core.AclSetuserArgs.Builder.on()
						.addPassword("pw")
						.allKeys()
						.addCommand(io.lettuce.core.protocol.CommandType.SELECT)
						.addCommand(io.lettuce.core.protocol.CommandType.INFO));
		Endpoint endpoint = Endpoint.parse("source", this.server.uri("copier", "pw") + "/3");
		this.connector = new RedisConnector(TIMEOUT);
		try (RedisConnector.Connection connection = this.connector.connect(endpoint)) {
			assertThat(CommandProbe.refusals(connection.connection(), endpoint, List.of("select", "info"), TIMEOUT))
				.isEmpty();
			assertThat(RedisConnector.info(connection.connection(), endpoint).keys()).isZero();
		}
	}

	private List<CommandProbe.Refusal> refusals(String user, List<String> commands, String... rules) {
		this.server.sync().aclSetuser(user, io.lettuce.core.AclSetuserArgs.Builder.reset());
		this.server.sync()
			.dispatch(io.lettuce.core.protocol.CommandType.ACL,
					new io.lettuce.core.output.StatusOutput<>(io.lettuce.core.codec.StringCodec.UTF8),
					new io.lettuce.core.protocol.CommandArgs<>(io.lettuce.core.codec.StringCodec.UTF8).add("SETUSER")
						.add(user)
						.addValues(rules));
		Endpoint endpoint = Endpoint.parse("source", this.server.uri(user, "pw"));
		this.connector = new RedisConnector(TIMEOUT);
		try (RedisConnector.Connection connection = this.connector.connect(endpoint)) {
			return CommandProbe.refusals(connection.connection(), endpoint, commands, TIMEOUT);
		}
	}

	/** The commands of every combination of options, on a new and an old server. */
	static Set<String> everyCommand() {
		Set<String> all = new LinkedHashSet<>();
		Endpoint noPassword = Endpoint.parse("source", "redis://127.0.0.1:1/2");
		for (ConflictPolicy policy : ConflictPolicy.values()) {
			for (boolean old : List.of(false, true)) {
				all.addAll(RequiredCommands.source(noPassword, policy, null, !old));
				for (boolean dryRun : List.of(false, true)) {
					all.addAll(RequiredCommands.target(noPassword, policy, dryRun, null, old ? "6.0.20" : "7.0.15"));
				}
			}
		}
		// optional: probed when a partition starts (see AccessTracking)
		all.add(AccessTracking.LRU.sourceCommand());
		all.add(AccessTracking.LFU.sourceCommand());
		// SELECT is probed on the database of the connection
		all.remove("select");
		return all;
	}

}
