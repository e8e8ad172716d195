package io.keyferry.redis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.keyferry.KeyferryException;
import io.lettuce.core.SslVerifyMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class TlsSettingsTests {

	@TempDir
	Path dir;

	@Test
	void theGivenHostIsCheckedInFullAndAnnouncedAddressesByTheirChainOnly() {
		Endpoint seed = Endpoint.parse("source", "rediss://app:pw@cfg.example.com:6380")
			.withTls(TlsSettings.of(Path.of("ca.pem"), null, null, false, null));

		Endpoint node = seed.atAnnouncedAddress("10.0.0.7", 6379);

		assertThat(seed.toRedisUri(java.time.Duration.ofSeconds(1)).getVerifyMode()).isEqualTo(SslVerifyMode.FULL);
		assertThat(node.toRedisUri(java.time.Duration.ofSeconds(1)).getVerifyMode()).isEqualTo(SslVerifyMode.CA);
		assertThat(node.tls()).isTrue();
		assertThat(node.user()).isEqualTo("app");
		assertThat(node.password()).isEqualTo("pw".toCharArray());
		assertThat(node.tlsSettings().caCert()).isEqualTo(Path.of("ca.pem"));
		assertThat(node.address()).isEqualTo("10.0.0.7:6379");
	}

	@Test
	void insecureVerifiesNothingAnywhere() {
		TlsSettings insecure = TlsSettings.of(null, null, null, true, null);

		assertThat(insecure.verifyMode()).isEqualTo(SslVerifyMode.NONE);
		assertThat(insecure.atAnnouncedAddress().verifyMode()).isEqualTo(SslVerifyMode.NONE);
	}

	@Test
	void seedsAndPasswordsKeepTheTlsSettings() {
		TlsSettings tls = TlsSettings.of(Path.of("ca.pem"), null, null, false, "name.example");
		Endpoint endpoint = Endpoint.parse("target", "rediss://a:1,b:2").withTls(tls);

		assertThat(endpoint.seeds()).extracting(Endpoint::tlsSettings).containsOnly(tls);
		assertThat(endpoint.withPasswordFrom((variable) -> "pw").tlsSettings()).isEqualTo(tls);
	}

	@Test
	void anOptionForAPlainServerIsRefused() {
		assertThatExceptionOfType(KeyferryException.class)
			.isThrownBy(() -> TlsSettings.of(null, null, null, true, null).validate("source", false))
			.withMessage("--source-insecure needs a TLS source")
			.satisfies((ex) -> assertThat(ex.isUsage()).isTrue());
	}

	@Test
	void aCertificateFileWithoutACertificateIsRefused() throws IOException {
		Path cert = this.dir.resolve("client.crt");
		Path key = Files.writeString(this.dir.resolve("client.key"),
				"-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END RSA PRIVATE KEY-----\n");
		Files.writeString(cert, "not a certificate");

		assertThatExceptionOfType(KeyferryException.class)
			.isThrownBy(() -> TlsSettings.of(null, cert, key, false, null).validate("target", true))
			.withMessage("--target-cert " + cert + " is not a PEM certificate file");
	}

	@Test
	void pemContentGivenAsAPathIsRefusedWithoutEchoingIt() {
		TlsSettings settings = TlsSettings.of(Path.of("-----BEGIN CERTIFICATE-----MIIB"), null, null, false, null);

		assertThatExceptionOfType(KeyferryException.class).isThrownBy(() -> settings.validate("source", true))
			.withMessage("--source-cacert must be a file path, not PEM content");
	}

	@Test
	void anUnreadableFileIsNamedWithItsOption() {
		Path missing = this.dir.resolve("missing.pem");

		assertThatExceptionOfType(KeyferryException.class)
			.isThrownBy(() -> TlsSettings.of(missing, null, null, false, null).validate("source", true))
			.withMessage("cannot read --source-cacert " + missing + ": no such file");
	}

}
