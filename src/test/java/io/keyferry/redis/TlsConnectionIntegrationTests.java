package io.keyferry.redis;

import java.nio.file.Path;
import java.time.Duration;

import io.keyferry.KeyferryException;
import io.keyferry.testsupport.TlsCertificates;
import io.keyferry.testsupport.TlsCertificates.TlsServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Integration tests of the verification of a node reached at an address the cluster
 * announces (lettuce#2837): a server whose certificate names only a host name, reached by
 * its IP address, is refused when that address was given by the user and accepted when it
 * was announced, as long as a trusted CA signed the certificate.
 */
class TlsConnectionIntegrationTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	@TempDir
	static Path certificateDir;

	static TlsCertificates certificates;

	@BeforeAll
	static void makeCertificates() {
		certificates = TlsCertificates.create(certificateDir);
	}

	@Test
	void anAnnouncedAddressIsCheckedByItsCaButNotItsName() {
		try (TlsServer server = certificates.startNamed(); RedisConnector connector = new RedisConnector(TIMEOUT)) {
			Endpoint given = Endpoint.parse("source", server.uri())
				.withTls(TlsSettings.of(certificates.caCert(), null, null, false, null));

			assertThatExceptionOfType(KeyferryException.class).isThrownBy(() -> connector.connect(given).close())
				.withMessageEndingWith("the source's certificate does not name 127.0.0.1");

			Endpoint announced = given.atAnnouncedAddress("127.0.0.1", server.tlsPort());
			try (RedisConnector.Connection connection = connector.connect(announced)) {
				assertThat(connection.connection().sync().ping()).isEqualTo("PONG");
			}
		}
	}

	@Test
	void anAnnouncedAddressWithoutATrustedCaIsRefused() {
		try (TlsServer server = certificates.startNamed(); RedisConnector connector = new RedisConnector(TIMEOUT)) {
			// the client certificate is no CA: the chain cannot be built
			Endpoint announced = Endpoint.parse("target", server.uri())
				.withTls(TlsSettings.of(certificates.clientCert(), null, null, false, null))
				.atAnnouncedAddress("127.0.0.1", server.tlsPort());

			assertThatExceptionOfType(KeyferryException.class).isThrownBy(() -> connector.connect(announced).close())
				.withMessageContaining("the target's certificate is not trusted");
		}
	}

}
