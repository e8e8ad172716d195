package io.keyferry.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
import io.lettuce.core.MigrateArgs;
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
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Least privilege: ACL users holding exactly the command sets the README's Permissions
 * lists copy everything, under each conflict policy and in a dry run; a user lacking any
 * one command of a set is refused before anything is written (exit 2, the command and the
 * server named, the ACL rule to add in the hint). The sets are written out here, not
 * taken from the code, so that this checks the documentation. One source and one target
 * serve every test; the users are made with {@code ACL SETUSER}.
 */
@ExtendWith(RedisServerExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LeastPrivilegeIntegrationTests {

	static final List<String> SOURCE = List.of("info", "scan", "dump", "pexpiretime", "time");

	static final List<String> TARGET = List.of("info", "time", "restore");

	static final List<String> SOURCE_COMPARISON = List.of("strlen", "getrange", "llen", "lrange", "scard", "sscan",
			"zcard", "zrange", "hlen", "hscan", "xlen", "xrange");

	static final List<String> TARGET_COMPARISON = List.of("type", "strlen", "getrange", "llen", "lrange", "scard",
			"smismember", "zcard", "zrange", "hlen", "hmget", "xlen", "xrange");

	static final List<String> TARGET_DRY_RUN = List.of("info", "time", "ping");

	static final List<String> SOURCE_DELETE_MISSING = List.of("exists");

	static final List<String> TARGET_DELETE_MISSING = List.of("scan", "unlink");

	static final List<String> TARGET_DRY_RUN_COMPARISON = List.of("info", "time", "exists");

	private static final String SOURCE_USER = "kf-source";

	private static final String TARGET_USER = "kf-target";

	private static final String PASSWORD = "least-privilege-pw";

	/** 100 keys: every type, and a large (hash-table) hash and set among them. */
	private static final int KEYS = 100;

	private static final byte[] CONFLICT = "kf:conflict".getBytes(StandardCharsets.UTF_8);

	@TempDir
	Path home;

	private RedisServer source;

	private RedisServer target;

	private List<byte[]> keys;

	@BeforeAll
	void startServers(RedisServer source, RedisServer target) {
		this.source = source;
		this.target = target;
		this.keys = TestData.keys(KEYS).loadInto(source);
		source.binarySync().set(CONFLICT, "source value".getBytes(StandardCharsets.UTF_8));
	}

	@BeforeEach
	void emptyTarget() {
		this.target.sync().flushall();
	}

	@ParameterizedTest
	@ValueSource(strings = { "replace", "skip", "fail" })
	void usersWithExactlyTheListedCommandsCopyEverything(String policy) {
		boolean compares = !policy.equals("replace");
		grant(this.source, SOURCE_USER, compares ? concat(SOURCE, SOURCE_COMPARISON) : SOURCE);
		grant(this.target, TARGET_USER, compares ? concat(TARGET, TARGET_COMPARISON) : TARGET);
		if (compares) {
			// what an interrupted run leaves: a third of the keys already copied, the
			// large hash and set among them; each is compared with the source
			copyDirectly(this.keys.stream().filter((key) -> this.keys.indexOf(key) % 3 == 0).toList());
			copyDirectly(List.of(this.keys.get(49), this.keys.get(99)));
		}
		if (policy.equals("skip")) {
			this.target.binarySync().set(CONFLICT, "target value".getBytes(StandardCharsets.UTF_8));
		}

		CliRun run = copy("--on-conflict", policy);

		run.assertExitCode(ExitCode.OK);
		var summary = run.balancedSummary();
		assertThat(summary.read()).isEqualTo(KEYS + 1);
		KeyspaceComparison comparison = KeyspaceComparison.compare(this.source, this.target,
				KeyspaceComparison.DEFAULT_TTL_TOLERANCE);
		if (policy.equals("skip")) {
			assertThat(summary.skipped()).containsEntry("exists", 1L);
			assertThat(comparison.differences()).as(comparison.report())
				.singleElement()
				.satisfies((difference) -> assertThat(difference.key()).isEqualTo(CONFLICT));
		}
		else {
			assertThat(summary.skippedTotal()).isZero();
			assertThat(comparison.isSame()).as(comparison.report()).isTrue();
		}
	}

	@Test
	void aSourceBeforeRedis7NeedsPttlInsteadOfPexpiretimeAndTime(
			@RedisServerOptions(old = true) RedisServer oldSource) {
		assertThat(oldSource.version()).startsWith("6.2.");
		List<byte[]> oldKeys = TestData.keys(30).loadInto(oldSource);
		// without streams: Redis 7 reports consumer-group fields (entries-read, lag) that
		// a
		// 6.2 stream does not have, so the comparison would find them different
		oldKeys.stream()
			.filter((key) -> new String(key, StandardCharsets.ISO_8859_1).startsWith("kf:stream:"))
			.forEach((key) -> oldSource.binarySync().del(key));
		long copied = oldSource.sync().dbsize();
		grant(oldSource, SOURCE_USER, List.of("info", "scan", "dump", "pttl"));
		grant(this.target, TARGET_USER, TARGET);

		CliRun run = CliRun.copy(this.home, oldSource.uri(SOURCE_USER, PASSWORD),
				this.target.uri(TARGET_USER, PASSWORD));

		run.assertExitCode(ExitCode.OK);
		assertThat(run.balancedSummary().written()).isEqualTo(copied);
		// PTTL is relative: its expiry is placed at the midpoint of the batch's round
		// trip, exact only within half of it (and a loaded machine's first batch is slow)
		KeyspaceComparison.assertSameContent(oldSource, this.target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@ParameterizedTest
	@ValueSource(strings = { "replace", "skip" })
	void aDryRunWithExactlyTheListedCommandsWritesNothing(String policy) {
		boolean compares = policy.equals("skip");
		grant(this.source, SOURCE_USER, compares ? concat(SOURCE, SOURCE_COMPARISON) : SOURCE);
		grant(this.target, TARGET_USER,
				compares ? concat(TARGET_DRY_RUN_COMPARISON, TARGET_COMPARISON) : TARGET_DRY_RUN);
		copyDirectly(List.of(this.keys.get(0), this.keys.get(49)));
		this.target.binarySync().set(CONFLICT, "target value".getBytes(StandardCharsets.UTF_8));

		CliRun run = copy("--on-conflict", policy, "--dry-run");

		run.assertExitCode(ExitCode.OK);
		var summary = run.balancedSummary();
		assertThat(summary.read()).isEqualTo(KEYS + 1);
		if (compares) {
			// the two keys holding the source's values count as written, the other not
			assertThat(summary.skipped()).containsEntry("exists", 1L);
		}
		assertThat(this.target.sync().dbsize()).as("keys in the target").isEqualTo(3);
	}

	@Test
	void usersWithExactlyTheListedCommandsDeleteMissingKeys() {
		grant(this.source, SOURCE_USER, concat(SOURCE, SOURCE_DELETE_MISSING));
		grant(this.target, TARGET_USER, concat(TARGET, TARGET_DELETE_MISSING));
		this.target.sync().set("kf:gone-from-the-source", "old");

		CliRun run = copy("--delete-missing");

		run.assertExitCode(ExitCode.OK);
		var summary = run.balancedSummary();
		assertThat(summary.read()).isEqualTo(KEYS + 1);
		assertThat(summary.field("deleted")).isEqualTo(1L);
		KeyspaceComparison.assertSameContent(this.source, this.target);
	}

	/**
	 * Every command of every set, each removed once: a run takes one command from the
	 * source user and one from the target user (while both sets last), so each user lacks
	 * exactly one command and the error must name both.
	 */
	static Stream<Arguments> everyCommandOfEverySet() {
		List<Arguments> cases = new ArrayList<>();
		pairs(cases, "--on-conflict replace", SOURCE, TARGET);
		pairs(cases, "--on-conflict skip", concat(SOURCE, SOURCE_COMPARISON), concat(TARGET, TARGET_COMPARISON));
		cases.add(Arguments.of("--on-conflict replace --delete-missing", "exists", "scan"));
		cases.add(Arguments.of("--on-conflict replace --delete-missing", null, "unlink"));
		cases.add(Arguments.of("--on-conflict replace --delete-missing --dry-run", "exists", "scan"));
		cases.add(Arguments.of("--on-conflict replace --dry-run", null, "ping"));
		cases.add(Arguments.of("--on-conflict skip --dry-run", null, "exists"));
		return cases.stream();
	}

	private static void pairs(List<Arguments> cases, String options, List<String> source, List<String> target) {
		for (int i = 0; i < Math.max(source.size(), target.size()); i++) {
			cases.add(Arguments.of(options, (i < source.size()) ? source.get(i) : null,
					(i < target.size()) ? target.get(i) : null));
		}
	}

	@ParameterizedTest(name = "{0}: source without {1}, target without {2}")
	@MethodSource("everyCommandOfEverySet")
	void usersLackingOneListedCommandAreRefusedBeforeAnythingIsWritten(String options, String sourceMissing,
			String targetMissing) {
		boolean compares = options.contains("skip");
		boolean dryRun = options.endsWith("--dry-run");
		List<String> sourceSet = compares ? concat(SOURCE, SOURCE_COMPARISON) : SOURCE;
		List<String> targetSet = dryRun ? (compares ? TARGET_DRY_RUN_COMPARISON : TARGET_DRY_RUN) : TARGET;
		if (compares) {
			targetSet = concat(targetSet, TARGET_COMPARISON);
		}
		if (options.contains("--delete-missing")) {
			sourceSet = concat(sourceSet, SOURCE_DELETE_MISSING);
			targetSet = concat(targetSet, dryRun ? List.of("scan") : TARGET_DELETE_MISSING);
		}
		grant(this.source, SOURCE_USER, without(sourceSet, sourceMissing));
		grant(this.target, TARGET_USER, without(targetSet, targetMissing));

		CliRun run = copy(options.split(" "));

		run.assertExitCode(ExitCode.USAGE).assertErrorWithHint();
		List<String> problems = new ArrayList<>();
		List<String> grants = new ArrayList<>();
		if (sourceMissing != null) {
			problems.add("the source user " + SOURCE_USER + " may not run " + sourceMissing.toUpperCase(Locale.ROOT));
			grants.add("on the source redis://" + SOURCE_USER + "@127.0.0.1:" + this.source.port() + "/0: ACL SETUSER "
					+ SOURCE_USER + " +" + sourceMissing);
		}
		if (targetMissing != null) {
			problems.add("the target user " + TARGET_USER + " may not run " + targetMissing.toUpperCase(Locale.ROOT));
			grants.add("on the target redis://" + TARGET_USER + "@127.0.0.1:" + this.target.port() + "/0: ACL SETUSER "
					+ TARGET_USER + " +" + targetMissing);
		}
		assertThat(run.errorLine()).isEqualTo("error: " + String.join(", and ", problems) + ", which this copy needs");
		assertThat(run.hintLine())
			.isEqualTo("hint: grant " + ((grants.size() > 1) ? "them " : "it ") + String.join("; ", grants));
		assertThat(run.err() + run.out()).doesNotContain(PASSWORD);
		assertThat(this.target.sync().dbsize()).as("keys written to the target").isZero();
		assertNoRunRecorded();
	}

	@Test
	void everyMissingCommandOfBothServersIsNamedAtOnce() {
		grant(this.source, SOURCE_USER, List.of("info", "scan", "time"));
		grant(this.target, TARGET_USER, List.of("info", "time", "restore", "type"));

		CliRun run = copy("--on-conflict", "fail", "--type", "list");

		run.assertExitCode(ExitCode.USAGE).assertErrorWithHint();
		assertThat(run.errorLine()).isEqualTo("error: the source user kf-source may not run DUMP, PEXPIRETIME, LLEN, "
				+ "LRANGE, and the target user kf-target may not run LLEN, LRANGE, which this copy needs");
		assertThat(run.hintLine()).contains("ACL SETUSER kf-source +dump +pexpiretime +llen +lrange")
			.contains("; on the target redis://kf-target@127.0.0.1:" + this.target.port()
					+ "/0: ACL SETUSER kf-target +llen +lrange");
		assertThat(this.target.sync().dbsize()).isZero();
		assertNoRunRecorded();
	}

	@Test
	void aRefusalDuringTheRunIsReportedAsItsCause() {
		// the target user may write every key but read none (Redis 7 key permissions):
		// commands are allowed, so the pre-flight passes; comparing an existing key is
		// refused
		grant(this.source, SOURCE_USER, concat(SOURCE, SOURCE_COMPARISON));
		grant(this.target, TARGET_USER, concat(TARGET, TARGET_COMPARISON), "%W~*");
		this.target.binarySync().set(CONFLICT, "target value".getBytes(StandardCharsets.UTF_8));

		CliRun run = copy("--on-conflict", "skip");

		run.assertExitCode(ExitCode.FAILED).assertErrorWithHint();
		String error = "the target user kf-target lacks a permission: NOPERM this user has no permissions to access "
				+ "one of the keys used as arguments";
		assertThat(run.errorLine()).isEqualTo("error: " + error);
		assertThat(run.hintLine()).contains("ACL SETUSER kf-target ~PATTERN, read and write");
		assertThat(run.summary().error()).isEqualTo(error);
		assertThat(run.err() + run.out()).doesNotContain("Partition handler");
	}

	private CliRun copy(String... options) {
		return CliRun.copy(this.home, this.source.uri(SOURCE_USER, PASSWORD), this.target.uri(TARGET_USER, PASSWORD),
				options);
	}

	private void copyDirectly(List<byte[]> keys) {
		this.source.binarySync()
			.migrate("127.0.0.1", this.target.port(), 0, 10_000,
					MigrateArgs.Builder.<byte[]>keys(keys.toArray(byte[][]::new)).copy().replace());
	}

	/**
	 * Makes (or remakes) a user allowed exactly the given commands, on every key.
	 */
	private static void grant(RedisServer server, String user, List<String> commands, String... keyRules) {
		CommandArgs<String, String> args = new CommandArgs<>(StringCodec.UTF8).add("SETUSER")
			.add(user)
			.add("reset")
			.add("on")
			.add(">" + PASSWORD);
		args.addValues((keyRules.length > 0) ? keyRules : new String[] { "~*" });
		commands.forEach((command) -> args.add("+" + command));
		server.sync().dispatch(CommandType.ACL, new StatusOutput<>(StringCodec.UTF8), args);
	}

	private void assertNoRunRecorded() {
		if (Files.exists(this.home.resolve("repository").resolve("keyferry.mv.db"))) {
			assertThat(new JobRepositoryDatabase(this.home).count("SELECT COUNT(*) FROM BATCH_JOB_EXECUTION"))
				.as("executions recorded")
				.isZero();
		}
	}

	private static List<String> concat(List<String> first, List<String> second) {
		List<String> all = new ArrayList<>(first);
		second.stream().filter((command) -> !all.contains(command)).forEach(all::add);
		return all;
	}

	private static List<String> without(List<String> commands, String missing) {
		return commands.stream().filter((command) -> !command.equals(missing)).toList();
	}

}
