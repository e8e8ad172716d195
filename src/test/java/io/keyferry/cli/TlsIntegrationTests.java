package io.keyferry.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.MemoryLimit;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import io.keyferry.testsupport.TlsCertificates;
import io.keyferry.testsupport.TlsCertificates.TlsServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests of TLS with redis-cli's options against redis-servers with a TLS port
 * and certificates made by the test: a trusted CA, an untrusted certificate, mutual TLS,
 * a certificate that names another host (SNI), insecure mode, a resume that finds its TLS
 * files again, and options that cannot work. Every copy ends with a full comparison;
 * every refusal is exit 2 with one error and one hint, and no key material in the output.
 */
@ExtendWith(RedisServerExtension.class)
class TlsIntegrationTests {

	@TempDir
	static Path certificateDir;

	static TlsCertificates certificates;

	@TempDir
	Path home;

	@BeforeAll
	static void makeCertificates() {
		certificates = TlsCertificates.create(certificateDir);
	}

	@Test
	void copiesToATargetWhoseCaIsGiven(RedisServer source) {
		TestData.keys(300).loadInto(source);
		try (TlsServer target = certificates.start(false)) {
			CliRun run = CliRun.copy(this.home, source.uri(), target.uri(), "--target-cacert",
					certificates.caCert().toString());

			run.assertExitCode(ExitCode.OK);
			assertThat(run.balancedSummary().status()).isEqualTo("COMPLETED");
			KeyspaceComparison.assertSameContent(source, target.server());
		}
	}

	@Test
	void untrustedTargetCertificateIsAConfigurationErrorNamingTheSide(RedisServer source) {
		TestData.keys(20).loadInto(source);
		try (TlsServer target = certificates.start(false)) {
			CliRun run = CliRun.copy(this.home, source.uri(), target.uri())
				.assertExitCode(ExitCode.USAGE)
				.assertJsonError();

			assertThat(run.errorLine()).isEqualTo("error: TLS handshake with the target " + target.uri()
					+ "/0 failed: the target's certificate is not trusted (no trusted CA in this JVM signed it)");
			assertThat(run.hintLine()).contains("--target-cacert FILE");
			assertThat(target.server().sync().dbsize()).isZero();
		}
	}

	@Test
	void certificateOfAnotherCaIsNotTrusted(RedisServer source) {
		TestData.keys(20).loadInto(source);
		try (TlsServer target = certificates.start(false)) {
			// the client certificate is no CA of the server's certificate
			CliRun run = CliRun
				.copy(this.home, source.uri(), target.uri(), "--target-cacert", certificates.clientCert().toString())
				.assertExitCode(ExitCode.USAGE)
				.assertErrorWithHint();

			assertThat(run.errorLine())
				.contains("the target's certificate is not trusted (no trusted CA in --target-cacert "
						+ certificates.clientCert() + " signed it)");
		}
	}

	@Test
	void mutualTlsNeedsTheClientCertificate(RedisServer target) {
		try (TlsServer source = certificates.start(true)) {
			TestData.keys(300).loadInto(source.server());

			CliRun refused = CliRun
				.copy(this.home, source.uri(), target.uri(), "--source-cacert", certificates.caCert().toString())
				.assertExitCode(ExitCode.USAGE)
				.assertErrorWithHint();
			assertThat(refused.errorLine()).startsWith("error: TLS handshake with the source " + source.uri() + "/0")
				.endsWith("the source requires a client certificate");
			assertThat(refused.hintLine()).contains("--source-cert FILE and --source-key FILE");

			CliRun run = CliRun.copy(this.home, source.uri(), target.uri(), "--source-cacert",
					certificates.caCert().toString(), "--source-cert", certificates.clientCert().toString(),
					"--source-key", certificates.clientKey().toString());

			run.assertExitCode(ExitCode.OK);
			assertThat(run.balancedSummary().status()).isEqualTo("COMPLETED");
			assertNoKeyMaterial(refused);
			assertNoKeyMaterial(run);
			KeyspaceComparison.assertSameContent(source.server(), target);
		}
	}

	@Test
	void insecureModeFromTheConfigFileWarnsAndCopies(RedisServer source) throws IOException {
		TestData.keys(300).loadInto(source);
		try (TlsServer target = certificates.start(false)) {
			Path config = this.home.resolve("insecure.yml");
			Files.writeString(config, "target-insecure: true\n");

			CliRun run = CliRun.copy(this.home, source.uri(), target.uri(), "--config", config.toString());

			run.assertExitCode(ExitCode.OK);
			assertThat(run.err()).contains("warning: --target-insecure: the target's TLS certificate is not verified");
			assertThat(run.balancedSummary().status()).isEqualTo("COMPLETED");
			KeyspaceComparison.assertSameContent(source, target.server());
		}
	}

	@Test
	void bothSidesTlsWithOneCaFromTheConfigFile() throws IOException {
		try (TlsServer source = certificates.start(true); TlsServer target = certificates.start(false)) {
			TestData.keys(300).loadInto(source.server());
			Path config = this.home.resolve("tls.yml");
			Files.writeString(config,
					"source: " + source.uri() + "\ntarget: " + target.uri() + "\ncacert: " + certificates.caCert()
							+ "\nsource-cert: " + certificates.clientCert() + "\nsource-key: "
							+ certificates.clientKey() + "\n");

			CliRun run = CliRun.execute("copy", "--home", this.home.toString(), "--config", config.toString(), "--json",
					"--progress", "off");

			run.assertExitCode(ExitCode.OK);
			assertThat(run.balancedSummary().status()).isEqualTo("COMPLETED");
			KeyspaceComparison.assertSameContent(source.server(), target.server());
		}
	}

	@Test
	void certificateForAnotherNameNeedsTheSni(RedisServer source) {
		TestData.keys(100).loadInto(source);
		try (TlsServer target = certificates.startNamed()) {
			CliRun refused = CliRun
				.copy(this.home, source.uri(), target.uri(), "--target-cacert", certificates.caCert().toString())
				.assertExitCode(ExitCode.USAGE)
				.assertErrorWithHint();
			assertThat(refused.errorLine()).endsWith("the target's certificate does not name 127.0.0.1");
			assertThat(refused.hintLine()).contains("--target-sni NAME");

			CliRun run = CliRun.copy(this.home, source.uri(), target.uri(), "--target-cacert",
					certificates.caCert().toString(), "--target-sni", TlsCertificates.NAMED_HOST);

			run.assertExitCode(ExitCode.OK);
			KeyspaceComparison.assertSameContent(source, target.server());
		}
	}

	@Test
	void resumeFindsTheRunsTlsFilesAgain(RedisServer source) {
		int keys = TestData.keys(2400).loadInto(source).size();
		try (TlsServer target = certificates.start(true)) {
			MemoryLimit.leaveHeadroom(target.server(), (usedMemory(source) - usedMemory(target.server())) / 2);
			CliRun failed = CliRun
				.copy(this.home, source.uri(), target.uri(), "--cacert", certificates.caCert().toString(),
						"--target-cert", certificates.clientCert().toString(), "--target-key",
						certificates.clientKey().toString(), "--chunk-size", "60", "--scan-count", "60", "--retries",
						"1", "--retry-backoff", "20ms")
				.assertExitCode(ExitCode.FAILED);
			CopySummary first = failed.balancedSummary();
			assertThat(first.error()).contains("out of memory");
			MemoryLimit.lift(target.server());

			// no TLS option: the paths stored with the run are used again
			CliRun resumed = CliRun.resume(this.home).assertExitCode(ExitCode.OK);

			CopySummary second = resumed.balancedSummary();
			assertThat(second.runId()).isEqualTo(first.runId());
			assertThat(first.read() + second.read()).isGreaterThanOrEqualTo(keys);
			assertNoKeyMaterial(failed);
			assertNoKeyMaterial(resumed);
			KeyspaceComparison.assertSameContent(source, target.server());
		}
	}

	@Test
	void tlsOptionWithoutTlsUriIsAUsageError(RedisServer source, RedisServer target) {
		CliRun run = CliRun
			.copy(this.home, source.uri(), target.uri(), "--target-cacert", certificates.caCert().toString())
			.assertExitCode(ExitCode.USAGE)
			.assertErrorWithHint();

		assertThat(run.errorLine()).isEqualTo("error: --target-cacert needs a TLS target");
		assertThat(run.hintLine()).contains("rediss://");
	}

	@Test
	void missingCaFileIsAUsageErrorBeforeConnecting(RedisServer source) {
		Path missing = this.home.resolve("no-such-ca.pem");

		// port 1: nothing listens there, so only the file check can end it first
		CliRun run = CliRun.copy(this.home, source.uri(), "rediss://127.0.0.1:1", "--target-cacert", missing.toString())
			.assertExitCode(ExitCode.USAGE)
			.assertErrorWithHint();

		assertThat(run.errorLine()).isEqualTo("error: cannot read --target-cacert " + missing + ": no such file");
	}

	@Test
	void clientKeyWithoutCertificateIsAUsageError(RedisServer source) {
		CliRun run = CliRun
			.copy(this.home, source.uri(), "rediss://127.0.0.1:1", "--target-key", certificates.clientKey().toString())
			.assertExitCode(ExitCode.USAGE)
			.assertErrorWithHint();

		assertThat(run.errorLine()).isEqualTo("error: --target-cert and --target-key go together");
	}

	private static void assertNoKeyMaterial(CliRun run) {
		String output = run.out() + run.err();
		assertThat(output).doesNotContain("PRIVATE KEY").doesNotContain("BEGIN");
		try {
			for (String line : Files.readAllLines(certificates.clientKey())) {
				if (!line.startsWith("-----")) {
					assertThat(output).doesNotContain(line);
				}
			}
		}
		catch (IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
	}

	private static long usedMemory(RedisServer server) {
		return Long.parseLong(server.info("used_memory"));
	}

}
