package io.keyferry.cli;

import java.nio.file.Files;
import java.nio.file.Path;

import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.RedisServerOptions;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A password shaped like an Azure access key (base64: {@code /}, {@code +}, {@code =},
 * here also {@code #}) in a source URI: percent-encoded it authenticates and the copy
 * completes; pasted as is, the URI is refused before anything starts with a message that
 * says to percent-encode it or use {@code KEYFERRY_SOURCE_PASSWORD}, and never shows it.
 */
@ExtendWith(RedisServerExtension.class)
class UriPasswordIntegrationTests {

	private static final String PASSWORD = "Xq7/Lm+2#Rt9=";

	private static final String ENCODED = "Xq7%2FLm+2%23Rt9=";

	@TempDir
	Path home;

	@Test
	void aPercentEncodedAccessKeyAuthenticates(@RedisServerOptions(password = PASSWORD) RedisServer source,
			RedisServer target) {
		TestData.keys(200).loadInto(source);

		CliRun run = CliRun.copy(this.home, "redis://:" + ENCODED + "@127.0.0.1:" + source.port(), target.uri())
			.assertExitCode(ExitCode.OK);

		assertThat(run.balancedSummary().written()).isEqualTo(200);
		KeyspaceComparison.assertSameContent(source, target);
		assertThat(run.out() + run.err()).doesNotContain(PASSWORD).doesNotContain(ENCODED);
	}

	@Test
	void anAccessKeyPastedAsIsIsRefusedWithTheWayOut(@RedisServerOptions(password = PASSWORD) RedisServer source,
			RedisServer target) {
		TestData.keys(20).loadInto(source);

		CliRun run = CliRun.copy(this.home, "redis://:" + PASSWORD + "@127.0.0.1:" + source.port(), target.uri())
			.assertExitCode(ExitCode.USAGE)
			.assertErrorWithHint();

		assertThat(run.errorLine()).isEqualTo(
				"error: invalid source URI: the password holds a character that must be percent-encoded in a URI");
		assertThat(run.hintLine()).contains("'/' as %2F", "'#' as %23", "KEYFERRY_SOURCE_PASSWORD");
		assertThat(run.out() + run.err()).doesNotContain("Xq7").doesNotContain("Lm+2").doesNotContain("Rt9");
		assertThat(target.sync().dbsize()).isZero();
		assertThat(Files.exists(this.home.resolve("repository"))).as("job repository created").isFalse();
	}

}
