package io.keyferry.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.keyferry.testsupport.Keyspace;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisCluster;
import io.keyferry.testsupport.RedisClusterExtension;
import io.keyferry.testsupport.RedisClusterOptions;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.AclSetuserArgs;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.CommandType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests of {@code --functions}: the source's function libraries are copied so
 * that {@code FCALL} works on the target, under the conflict policy; without the option
 * the run says the source has libraries it did not copy.
 */
@ExtendWith({ RedisServerExtension.class, RedisClusterExtension.class })
class FunctionsIntegrationTests {

	private static final String GREETING = "#!lua name=greeting\n"
			+ "redis.register_function('greet', function(keys, args) return 'hello from the source' end)";

	private static final String OTHER_GREETING = "#!lua name=greeting\n"
			+ "redis.register_function('greet', function(keys, args) return 'the target own greeting' end)";

	private static final String COUNTER = "#!lua name=counter\n"
			+ "redis.register_function('count_up', function(keys, args) return redis.call('INCR', keys[1]) end)";

	@TempDir
	Path home;

	@Test
	void copiesFunctionLibrariesSoFcallWorksOnTheTarget(RedisServer source, RedisServer target) {
		TestData.keys(60).loadInto(source);
		source.sync().functionLoad(GREETING);
		source.sync().functionLoad(COUNTER);

		CliRun run = CliRun.copy(this.home, source.uri(), target.uri(), "--functions").assertExitCode(ExitCode.OK);

		assertThat(run.err()).contains("function libraries: copied counter, greeting");
		assertThat(greet(target.sync())).isEqualTo("hello from the source");
		assertThat((Long) target.sync().fcall("count_up", ScriptOutputType.INTEGER, "fn:counter")).isEqualTo(1L);
		target.sync().del("fn:counter");
		KeyspaceComparison.assertSameContent(source, target);

		CliRun again = CliRun.copy(this.home, source.uri(), target.uri(), "--functions", "--on-conflict", "fail")
			.assertExitCode(ExitCode.OK);
		assertThat(again.err()).contains("function libraries: already in the target counter, greeting");
	}

	@Test
	void replaceOverwritesALibraryOfTheSameNameByDefault(RedisServer source, RedisServer target) {
		source.sync().functionLoad(GREETING);
		target.sync().functionLoad(OTHER_GREETING);

		CliRun.copy(this.home, source.uri(), target.uri(), "--functions").assertExitCode(ExitCode.OK);

		assertThat(greet(target.sync())).isEqualTo("hello from the source");
		assertThat(libraryNames(target.sync())).containsExactly("greeting");
	}

	@Test
	void failRefusesALibraryWithOtherCodeAndWritesNothing(RedisServer source, RedisServer target) {
		TestData.keys(30).loadInto(source);
		source.sync().functionLoad(GREETING);
		source.sync().functionLoad(COUNTER);
		target.sync().functionLoad(OTHER_GREETING);

		CliRun run = CliRun.copy(this.home, source.uri(), target.uri(), "--functions", "--on-conflict", "fail")
			.assertExitCode(ExitCode.FAILED)
			.assertErrorWithHint();

		assertThat(run.errorLine()).contains("function library greeting already exists in the target");
		assertThat(run.hintLine()).contains("--on-conflict");
		assertThat(greet(target.sync())).isEqualTo("the target own greeting");
		assertThat(libraryNames(target.sync())).containsExactly("greeting");
		assertThat(target.sync().dbsize()).as("keys written").isZero();
	}

	@Test
	void skipKeepsTheTargetsLibraryAndAddsTheMissingOnes(RedisServer source, RedisServer target) {
		TestData.keys(30).loadInto(source);
		source.sync().functionLoad(GREETING);
		source.sync().functionLoad(COUNTER);
		target.sync().functionLoad(OTHER_GREETING);

		CliRun run = CliRun.copy(this.home, source.uri(), target.uri(), "--functions", "--on-conflict", "skip")
			.assertExitCode(ExitCode.OK);

		assertThat(run.err()).contains("copied counter").contains("skipped greeting");
		assertThat(greet(target.sync())).isEqualTo("the target own greeting");
		assertThat((Long) target.sync().fcall("count_up", ScriptOutputType.INTEGER, "fn:counter")).isEqualTo(1L);
		target.sync().del("fn:counter");
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void withoutTheOptionTheRunSaysTheLibrariesWereNotCopied(RedisServer source, RedisServer target) {
		TestData.keys(30).loadInto(source);
		source.sync().functionLoad(GREETING);

		CliRun run = CliRun.copy(this.home, source.uri(), target.uri()).assertExitCode(ExitCode.OK);

		assertThat(run.err()).contains("the source has 1 function library (greeting) that this run does not copy")
			.contains("--functions");
		assertThat(libraryNames(target.sync())).isEmpty();
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void dryRunCopiesNoFunction(RedisServer source, RedisServer target) {
		source.sync().functionLoad(GREETING);

		CliRun.copy(this.home, source.uri(), target.uri(), "--functions", "--dry-run").assertExitCode(ExitCode.OK);

		assertThat(libraryNames(target.sync())).isEmpty();
	}

	@Test
	void aSourceOlderThanRedis7IsAUsageError(@RedisServerOptions(old = true) RedisServer source, RedisServer target) {
		CliRun run = CliRun.copy(this.home, source.uri(), target.uri(), "--functions")
			.assertExitCode(ExitCode.USAGE)
			.assertErrorWithHint();

		assertThat(run.errorLine()).contains("--functions needs Redis 7.0 or newer");
	}

	@Test
	void aTargetUserThatMayNotRunFunctionIsRefusedBeforeAnythingIsWritten(RedisServer source, RedisServer target) {
		TestData.keys(30).loadInto(source);
		source.sync().functionLoad(GREETING);
		target.sync()
			.aclSetuser("writer",
					AclSetuserArgs.Builder.on()
						.addPassword("writer-password")
						.allKeys()
						.allCommands()
						.removeCommand(CommandType.FUNCTION));

		CliRun run = CliRun.copy(this.home, source.uri(), target.uri("writer", "writer-password"), "--functions")
			.assertExitCode(ExitCode.USAGE)
			.assertErrorWithHint();

		assertThat(run.errorLine()).contains("the target user writer may not run FUNCTION");
		assertThat(run.hintLine()).contains("+function");
		assertThat(target.sync().dbsize()).as("keys written").isZero();
	}

	@Test
	void copiesFunctionLibrariesToEveryMasterOfAClusterTarget(RedisServer source,
			@RedisClusterOptions(masters = 3, replicas = 0) RedisCluster target) {
		TestData.keys(60).loadInto(source);
		source.sync().functionLoad(GREETING);

		CliRun.copy(this.home, source.uri(), target.seedUri(), "--functions").assertExitCode(ExitCode.OK);

		assertThat(target.masters()).allSatisfy((master) -> {
			RedisCommands<String, String> node = master.server().sync();
			assertThat(greet(node)).as("FCALL on %s", master).isEqualTo("hello from the source");
		});
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	private static String greet(RedisCommands<String, String> server) {
		return server.fcall("greet", ScriptOutputType.VALUE, new String[0]);
	}

	private static List<Object> libraryNames(RedisCommands<String, String> server) {
		return server.functionList()
			.stream()
			.map((Map<String, Object> library) -> library.get("library_name"))
			.toList();
	}

}
