package io.keyferry.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code keyferry copy --config FILE}: options from a YAML file, overridden by the
 * command line; secrets never come from the file itself, only from the files it names.
 */
@ExtendWith(RedisServerExtension.class)
class CopyConfigFileIntegrationTests {

	private static final String SECRET = "Cfg-s3cret-9Zk";

	@TempDir
	Path home;

	@Test
	void takesOptionsFromTheFileAndTheCommandLineOverridesThem(RedisServer source, RedisServer target)
			throws IOException {
		TestData.keys(120).prefix("a:").loadInto(source);
		TestData.keys(90).prefix("b:").loadInto(source);
		Path config = config("""
				source: %s
				target: %s
				match: "a:*"
				chunk-size: 25
				scan-count: 30
				read-from: master
				on-conflict: skip
				""".formatted(source.uri(), target.uri()));

		CopySummary fromFile = copy("--config", config.toString()).assertExitCode(ExitCode.OK).balancedSummary();

		assertThat(fromFile.field("match")).isEqualTo("a:*");
		assertThat(fromFile.field("source")).isEqualTo(source.uri() + "/0");
		assertThat(prefixes(target)).containsExactly("a");
		assertThat(parameters(fromFile.executionId())).containsEntry("chunkSize", 25L)
			.containsEntry("scanCount", 30L)
			.containsEntry("readFrom", "master")
			.containsEntry("onConflict", "skip");

		CopySummary overridden = copy("--config", config.toString(), "--match", "b:*", "--chunk-size", "40")
			.assertExitCode(ExitCode.OK)
			.balancedSummary();

		assertThat(overridden.field("match")).isEqualTo("b:*");
		assertThat(overridden.runId()).as("another filter is another run").isNotEqualTo(fromFile.runId());
		assertThat(overridden.written()).isGreaterThanOrEqualTo(90);
		assertThat(prefixes(target)).containsExactlyInAnyOrder("a", "b");
		assertThat(parameters(overridden.executionId())).containsEntry("match", "b:*")
			.containsEntry("chunkSize", 40L)
			.containsEntry("scanCount", 30L);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	/**
	 * Every option that takes no value is a {@code true}/{@code false} entry of the file:
	 * {@code delete-missing: true} (the README's nightly mirror) deletes, {@code false}
	 * does not.
	 */
	@Test
	void flagsOfTheFileAreTrueOrFalse(RedisServer source, RedisServer target) throws IOException {
		source.sync().set("a:kept", "x");
		target.sync().set("a:gone", "x");
		target.sync().set("b:other", "x");
		String base = """
				source: %s
				target: %s
				match: "a:*"
				""".formatted(source.uri(), target.uri());

		CopySummary off = copy("--config", config(base + "delete-missing: false\ndry-run: false\n").toString())
			.assertExitCode(ExitCode.OK)
			.balancedSummary();

		assertThat(off.field("deleteMissing")).isEqualTo(false);
		assertThat(target.sync().exists("a:gone")).isOne();

		CopySummary on = copy("--config", config(base + "delete-missing: true\n").toString())
			.assertExitCode(ExitCode.OK)
			.balancedSummary();

		assertThat(on.field("deleteMissing")).isEqualTo(true);
		assertThat(on.field("deleted")).isEqualTo(1L);
		assertThat(target.sync().keys("*")).containsExactlyInAnyOrder("a:kept", "b:other");
	}

	@Test
	void readsPasswordsFromTheFilesTheConfigNames(@RedisServerOptions(password = SECRET) RedisServer source,
			@RedisServerOptions(password = SECRET + "-t") RedisServer target) throws IOException {
		TestData.keys(300).loadInto(source);
		Path sourceSecret = Files.writeString(this.home.resolve("source.secret"), SECRET + "\n");
		Path targetSecret = Files.writeString(this.home.resolve("target.secret"), SECRET + "-t\n");
		Path config = config("""
				source: redis://127.0.0.1:%d
				target: redis://127.0.0.1:%d
				source-password-file: %s
				target-password-file: %s
				""".formatted(source.port(), target.port(), sourceSecret, targetSecret));

		CliRun run = copy("--config", config.toString()).assertExitCode(ExitCode.OK);

		assertThat(run.balancedSummary().status()).isEqualTo("COMPLETED");
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
		CliRun history = CliRun.execute("history", "--home", this.home.toString(), "--json")
			.assertExitCode(ExitCode.OK);
		assertThat(run.out() + run.err() + history.out()).doesNotContain(SECRET);
	}

	@Test
	void withoutThePasswordFileAProtectedSourceIsRefusedBeforeAnythingIsWritten(
			@RedisServerOptions(password = SECRET) RedisServer source, RedisServer target) throws IOException {
		TestData.keys(50).loadInto(source);
		Path config = config("""
				source: redis://127.0.0.1:%d
				target: %s
				""".formatted(source.port(), target.uri()));

		copy("--config", config.toString()).assertExitCode(ExitCode.USAGE).assertErrorWithHint();

		assertThat(target.sync().dbsize()).isZero();
	}

	@ParameterizedTest
	@ValueSource(strings = { "source: redis://default:%2$s@127.0.0.1:%1$d\ntarget: redis://127.0.0.1:%1$d/1\n",
			"source: redis://127.0.0.1:%1$d\ntarget: redis://app:%2$s@127.0.0.1:%1$d/1\n",
			"source: redis://127.0.0.1:%1$d\ntarget: redis://127.0.0.1:%1$d/1\nsource-password: %2$s\n",
			"source: redis://127.0.0.1:%1$d\ntarget: redis://127.0.0.1:%1$d/1\ntarget-password: %2$s\n" })
	void refusesAPasswordInTheFileWithoutPrintingIt(String yaml, RedisServer server) throws IOException {
		server.sync().set("k", "v");
		Path config = config(yaml.formatted(server.port(), SECRET));

		CliRun run = copy("--config", config.toString()).assertExitCode(ExitCode.USAGE).assertErrorWithHint();

		assertThat(run.errorLine()).contains("holds a password");
		assertThat(run.hintLine()).containsPattern("(source|target)-password-file");
		assertThat(run.out() + run.err()).doesNotContain(SECRET);
		assertThat(server.sync().keys("*")).as("keys after the refused copy").containsExactly("k");
	}

	@ParameterizedTest
	@ValueSource(
			strings = { "chunk_size: 10", "sources: redis://127.0.0.1:1", "config: other.yml", "retry-backof: 1s" })
	void unknownKeysAreUsageErrors(String line, RedisServer source, RedisServer target) throws IOException {
		source.sync().set("k", "v");
		Path config = config("source: %s\ntarget: %s\n%s\n".formatted(source.uri(), target.uri(), line));

		CliRun run = copy("--config", config.toString()).assertExitCode(ExitCode.USAGE).assertErrorWithHint();

		String key = line.substring(0, line.indexOf(':'));
		assertThat(run.errorLine()).contains(config.toString(), "unknown option '" + key + "'");
		assertThat(run.hintLine()).contains("without '--'");
		assertThat(target.sync().dbsize()).isZero();
	}

	@Test
	void invalidValuesAndMissingFilesAreUsageErrors(RedisServer source, RedisServer target) throws IOException {
		Path badNumber = config("source: %s\ntarget: %s\nchunk-size: many\n".formatted(source.uri(), target.uri()));
		assertThat(
				copy("--config", badNumber.toString()).assertExitCode(ExitCode.USAGE).assertErrorWithHint().errorLine())
			.contains("many");

		Path notAMapping = config("- source\n- target\n");
		copy("--config", notAMapping.toString()).assertExitCode(ExitCode.USAGE).assertErrorWithHint();

		Path noTarget = config("source: %s\n".formatted(source.uri()));
		assertThat(
				copy("--config", noTarget.toString()).assertExitCode(ExitCode.USAGE).assertErrorWithHint().errorLine())
			.contains("--target");

		copy("--config", this.home.resolve("missing.yml").toString()).assertExitCode(ExitCode.USAGE)
			.assertErrorWithHint();
	}

	private CliRun copy(String... args) {
		String[] all = new String[args.length + 6];
		System.arraycopy(new String[] { "copy", "--home", this.home.toString(), "--json", "--progress", "off" }, 0, all,
				0, 6);
		System.arraycopy(args, 0, all, 6, args.length);
		return CliRun.execute(all);
	}

	private Map<String, Object> parameters(long executionId) {
		CliRun show = CliRun.execute("show", "--home", this.home.toString(), Long.toString(executionId), "--json")
			.assertExitCode(ExitCode.OK);
		return JsonDocument.asObject(JsonDocument.object(show.out()).get("parameters"));
	}

	private Path config(String yaml) throws IOException {
		return Files.writeString(Files.createTempFile(this.home, "keyferry-", ".yml"), yaml);
	}

	/**
	 * The first segment of every key name of a server ({@code a} for {@code a:hash:7}).
	 */
	private static Set<String> prefixes(RedisServer server) {
		Set<String> prefixes = new HashSet<>();
		ScanCursor cursor = ScanCursor.INITIAL;
		do {
			KeyScanCursor<byte[]> page = server.binarySync().scan(cursor, ScanArgs.Builder.limit(500));
			for (byte[] key : page.getKeys()) {
				String name = StandardCharsets.ISO_8859_1.decode(ByteBuffer.wrap(key)).toString();
				prefixes.add(name.substring(0, name.indexOf(':')));
			}
			cursor = page;
		}
		while (!cursor.isFinished());
		return prefixes;
	}

}
