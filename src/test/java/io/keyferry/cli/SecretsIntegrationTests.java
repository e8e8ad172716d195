package io.keyferry.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invariant 8: passwords given in the URIs are never stored (job repository, logs) nor
 * printed, by runs that complete, fail, resume or are refused.
 */
@ExtendWith(RedisServerExtension.class)
class SecretsIntegrationTests {

	private static final String SOURCE_PASSWORD = "srcPw7c1e9Rq2";

	private static final String TARGET_PASSWORD = "dstPw4b8f3Kx6";

	private static final String WRONG_PASSWORD = "badPw9d2a5Zt1";

	private static final List<String> SECRETS = List.of(SOURCE_PASSWORD, TARGET_PASSWORD, WRONG_PASSWORD);

	@TempDir
	Path home;

	@Test
	void passwordsAreNeverStoredOrPrinted(@RedisServerOptions(password = SOURCE_PASSWORD) RedisServer source,
			@RedisServerOptions(password = TARGET_PASSWORD) RedisServer target) {
		TestData.keys(300).loadInto(source);
		String sourceUri = source.uri("default", SOURCE_PASSWORD);
		String targetUri = target.uri("app", TARGET_PASSWORD).replace("app:", ":");
		List<CliRun> runs = new ArrayList<>();

		runs.add(CliRun.copy(this.home, sourceUri, targetUri, "--verbose", "--chunk-size", "50")
			.assertExitCode(ExitCode.OK));
		target.sync().set("kf:zset:4", "in the way");
		CliRun failed = CliRun
			.copy(this.home, sourceUri, targetUri, "--verbose", "--stacktrace", "--on-conflict", "fail")
			.assertExitCode(ExitCode.FAILED);
		runs.add(failed);
		runs.add(CliRun
			.resume(this.home, Long.toString(failed.summary().executionId()), "--source", sourceUri, "--target",
					targetUri, "--verbose", "--stacktrace")
			.assertExitCode(ExitCode.FAILED));
		runs.add(CliRun.copy(this.home, source.uri("default", WRONG_PASSWORD), targetUri, "--verbose", "--stacktrace")
			.assertExitCode(ExitCode.USAGE));
		runs.add(CliRun
			.execute("copy", "--home", this.home.toString(), "--source", sourceUri, "--target", targetUri + "/not-a-db",
					"--stacktrace")
			.assertExitCode(ExitCode.USAGE));
		target.sync().del("kf:zset:4");
		runs.add(CliRun.copy(this.home, sourceUri, targetUri, "--verbose").assertExitCode(ExitCode.OK));

		assertThat(runs.get(0).summary().field("source"))
			.isEqualTo("redis://default@127.0.0.1:" + source.port() + "/0");
		for (CliRun run : runs) {
			for (String secret : SECRETS) {
				assertThat(run.out()).as("stdout").doesNotContain(secret);
				assertThat(run.err()).as("stderr").doesNotContain(secret);
			}
		}
		List<Path> files = files(this.home);
		assertThat(files).as("files under the keyferry home")
			.anyMatch((file) -> file.getFileName().toString().endsWith(".mv.db"))
			.anyMatch((file) -> file.getFileName().toString().endsWith(".log"));
		assertThat(logText()).as("the log").contains("127.0.0.1:" + source.port());
		for (Path file : files) {
			byte[] content = read(file);
			for (String secret : SECRETS) {
				assertThat(indexOf(content, secret.getBytes(StandardCharsets.UTF_8))).as("%s in %s", secret, file)
					.isEqualTo(-1);
				assertThat(indexOf(content, secret.getBytes(StandardCharsets.UTF_16BE))).as("%s in %s", secret, file)
					.isEqualTo(-1);
			}
		}
		assertNotInRepositoryValues();
	}

	/**
	 * Spring Batch stores execution contexts Base64-encoded: decodes every text value of
	 * the repository before looking for the passwords.
	 */
	private void assertNotInRepositoryValues() {
		JobRepositoryDatabase database = new JobRepositoryDatabase(this.home);
		int values = 0;
		for (String table : database.tables()) {
			for (Map<String, Object> row : database.query("SELECT * FROM " + table)) {
				for (Map.Entry<String, Object> column : row.entrySet()) {
					if (column.getValue() == null) {
						continue;
					}
					values++;
					for (String text : decodings(column.getValue())) {
						for (String secret : SECRETS) {
							assertThat(text).as("%s.%s", table, column.getKey()).doesNotContain(secret);
						}
					}
				}
			}
		}
		assertThat(database.tables()).contains("BATCH_JOB_EXECUTION_PARAMS", "BATCH_STEP_EXECUTION_CONTEXT");
		assertThat(values).isGreaterThan(100);
	}

	private static List<String> decodings(Object value) {
		String text = (value instanceof byte[] bytes) ? new String(bytes, StandardCharsets.ISO_8859_1)
				: String.valueOf(value);
		List<String> decodings = new ArrayList<>(List.of(text));
		try {
			decodings.add(new String(Base64.getDecoder().decode(text.strip()), StandardCharsets.ISO_8859_1));
		}
		catch (IllegalArgumentException ex) {
			// not Base64
		}
		return decodings;
	}

	private String logText() {
		try {
			return Files.readString(this.home.resolve("logs").resolve("keyferry.log"));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static List<Path> files(Path dir) {
		try (Stream<Path> paths = Files.walk(dir)) {
			return paths.filter(Files::isRegularFile).toList();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static byte[] read(Path file) {
		try {
			return Files.readAllBytes(file);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static int indexOf(byte[] content, byte[] part) {
		outer: for (int i = 0; i <= content.length - part.length; i++) {
			for (int j = 0; j < part.length; j++) {
				if (content[i + j] != part[j]) {
					continue outer;
				}
			}
			return i;
		}
		return -1;
	}

}
