package io.keyferry.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Least privilege of the type-by-type fallback: a copy from Redis 7.0 to a Redis 6.2
 * target needs the type commands listed in the README's Permissions, each probed before
 * anything is written (and a same-version copy does not need them, see
 * {@link LeastPrivilegeIntegrationTests}). The servers and their 100 keys serve every
 * test.
 */
@ExtendWith(RedisServerExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FallbackLeastPrivilegeIntegrationTests {

	static final List<String> SOURCE_TYPES = List.of("type", "strlen", "getrange", "lrange", "sscan", "zscan", "hscan",
			"xrange", "xinfo", "xpending");

	static final List<String> TARGET_TYPES = List.of("del", "pexpireat", "rename", "set", "setrange", "rpush", "sadd",
			"zadd", "hset", "xadd", "xgroup", "xsetid", "xclaim");

	private static final String SOURCE_USER = "kf-source";

	private static final String TARGET_USER = "kf-target";

	private static final String PASSWORD = "least-privilege-pw";

	@TempDir
	Path home;

	private RedisServer source;

	private RedisServer target;

	@BeforeAll
	void startServers(RedisServer source, @RedisServerOptions(old = true) RedisServer target) {
		this.source = source;
		this.target = target;
		TestData.keys(100).loadInto(source);
	}

	@BeforeEach
	void emptyTarget() {
		this.target.sync().flushall();
	}

	@Test
	void usersWithExactlyTheListedCommandsCopyToAnOlderTarget() {
		grant(this.source, SOURCE_USER, concat(LeastPrivilegeIntegrationTests.SOURCE, SOURCE_TYPES));
		grant(this.target, TARGET_USER, concat(LeastPrivilegeIntegrationTests.TARGET, TARGET_TYPES));

		CliRun run = copy().assertExitCode(ExitCode.OK);

		assertThat(run.balancedSummary().fallback()).containsEntry("olderTarget", 100L);
		KeyspaceComparison.assertSameContent(this.source, this.target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	Stream<String[]> everyTypeCommand() {
		List<String[]> cases = new ArrayList<>();
		SOURCE_TYPES.forEach((command) -> cases.add(new String[] { command, null }));
		TARGET_TYPES.forEach((command) -> cases.add(new String[] { null, command }));
		return cases.stream();
	}

	@ParameterizedTest(name = "source without {0}, target without {1}")
	@MethodSource("everyTypeCommand")
	void usersLackingOneTypeCommandAreRefusedBeforeAnythingIsWritten(String sourceMissing, String targetMissing) {
		grant(this.source, SOURCE_USER,
				without(concat(LeastPrivilegeIntegrationTests.SOURCE, SOURCE_TYPES), sourceMissing));
		grant(this.target, TARGET_USER,
				without(concat(LeastPrivilegeIntegrationTests.TARGET, TARGET_TYPES), targetMissing));

		CliRun run = copy().assertExitCode(ExitCode.USAGE).assertErrorWithHint();

		String missing = (sourceMissing != null) ? sourceMissing : targetMissing;
		String role = (sourceMissing != null) ? "source" : "target";
		String user = (sourceMissing != null) ? SOURCE_USER : TARGET_USER;
		assertThat(run.errorLine()).isEqualTo("error: the " + role + " user " + user + " may not run "
				+ missing.toUpperCase(Locale.ROOT) + ", which this copy needs");
		assertThat(run.hintLine()).endsWith("ACL SETUSER " + user + " +" + missing);
		assertThat(this.target.sync().dbsize()).as("keys in the target (the probes' included)").isZero();
	}

	private CliRun copy(String... options) {
		return CliRun.copy(this.home, this.source.uri(SOURCE_USER, PASSWORD), this.target.uri(TARGET_USER, PASSWORD),
				options);
	}

	private static List<String> concat(List<String> first, List<String> second) {
		List<String> all = new ArrayList<>(first);
		all.addAll(second);
		return all;
	}

	private static List<String> without(List<String> commands, String missing) {
		return commands.stream().filter((command) -> !command.equals(missing)).toList();
	}

	private static void grant(RedisServer server, String user, List<String> commands) {
		CommandArgs<String, String> args = new CommandArgs<>(StringCodec.UTF8).add("SETUSER")
			.add(user)
			.add("reset")
			.add("on")
			.add(">" + PASSWORD)
			.add("~*");
		commands.forEach((command) -> args.add("+" + command));
		server.sync().dispatch(CommandType.ACL, new StatusOutput<>(StringCodec.UTF8), args);
	}

}
