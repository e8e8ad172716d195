package io.keyferry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyferryProcesses;
import io.keyferry.testsupport.Keyspace;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisCluster;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import io.keyferry.testsupport.TlsCertificates;
import io.keyferry.testsupport.TlsCertificates.TlsServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar against redis-servers with a TLS port: both sides TLS with one CA and
 * a client certificate (mutual TLS), an untrusted certificate (exit 2 naming the side),
 * insecure mode (a warning, then the copy), and two TLS clusters whose nodes'
 * certificates do not name the addresses the clusters announce. Each copy ends with a
 * full comparison.
 */
@ExtendWith(RedisServerExtension.class)
class TlsJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);

	@TempDir
	static Path certificateDir;

	static TlsCertificates certificates;

	@TempDir
	Path home;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@BeforeAll
	static void makeCertificates() {
		certificates = TlsCertificates.create(certificateDir);
	}

	@Test
	void copiesBetweenTwoTlsServersWithMutualTls() {
		try (TlsServer source = certificates.start(true); TlsServer target = certificates.start(true)) {
			TestData.keys(500).loadInto(source.server());

			KeyferryProcess copy = this.processes.start(KeyferryProcess.in(this.home), "copy", "--source", source.uri(),
					"--target", target.uri(), "--cacert", certificates.caCert().toString(), "--source-cert",
					certificates.clientCert().toString(), "--source-key", certificates.clientKey().toString(),
					"--target-cert", certificates.clientCert().toString(), "--target-key",
					certificates.clientKey().toString(), "--json", "--progress", "off");

			assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isZero();
			CopySummary summary = copy.summary();
			assertThat(summary.status()).isEqualTo("COMPLETED");
			KeyspaceComparison.assertSameContent(source.server(), target.server());
		}
	}

	/**
	 * Cluster nodes are reached at the addresses the cluster announces
	 * ({@code 127.0.0.1}), which their certificates ({@code localhost} only) do not name:
	 * with the CA given, the seed's host name is checked and the announced nodes are
	 * checked against the CA (lettuce#2837: a host-name check on announced IPs would
	 * refuse every node).
	 */
	@Test
	void copiesBetweenTwoTlsClustersWhoseNodesAreAnnouncedByAddress() {
		try (RedisCluster source = RedisCluster.builder().replicasPerMaster(0).tls(certificates).start();
				RedisCluster target = RedisCluster.builder().replicasPerMaster(0).tls(certificates).start()) {
			TestData.keys(600).loadInto(source);

			KeyferryProcess copy = this.processes.start(KeyferryProcess.in(this.home), "copy", "--source",
					source.masters().get(0).tlsUri(), "--target", target.masters().get(1).tlsUri(), "--cacert",
					certificates.caCert().toString(), "--json", "--progress", "off");

			assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isZero();
			CopySummary summary = copy.summary();
			assertThat(summary.status()).isEqualTo("COMPLETED");
			assertThat(summary.written()).isGreaterThanOrEqualTo(600);
			KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
					KeyspaceComparison.LOOSE_TTL_TOLERANCE);
		}
	}

	/**
	 * The same clusters' certificates are refused when the CA is not given: exit 2, and
	 * nothing is written.
	 */
	@Test
	void aTlsClusterWithAnUntrustedCertificateIsExit2() {
		try (RedisCluster target = RedisCluster.builder().replicasPerMaster(0).tls(certificates).start();
				RedisServer source = RedisServer.builder().start()) {
			TestData.keys(20).loadInto(source);

			KeyferryProcess copy = this.processes.start(KeyferryProcess.in(this.home), "copy", "--source", source.uri(),
					"--target", target.masters().get(0).tlsUri(), "--json", "--progress", "off");

			assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(2);
			assertThat((String) JsonDocument.object(copy.stdout()).get("error")).contains("target")
				.contains("certificate is not trusted");
			for (RedisCluster.Node master : target.masters()) {
				assertThat(master.server().sync().dbsize()).isZero();
			}
		}
	}

	@Test
	void anUntrustedCertificateIsExit2NamingTheSide(RedisServer target) {
		try (TlsServer source = certificates.start(false)) {
			TestData.keys(20).loadInto(source.server());

			KeyferryProcess copy = this.processes.start(KeyferryProcess.in(this.home), "copy", "--source", source.uri(),
					"--target", target.uri(), "--json", "--progress", "off");

			assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isEqualTo(2);
			Map<String, Object> error = JsonDocument.object(copy.stdout());
			assertThat((String) error.get("error")).isEqualTo("TLS handshake with the source " + source.uri()
					+ "/0 failed: the source's certificate is not trusted (no trusted CA in this JVM signed it)");
			assertThat((String) error.get("hint")).contains("--source-cacert FILE");
			assertThat(copy.stderr()).doesNotContainPattern("(?m)^\\s+at [\\w$.]+\\(");
			assertThat(target.sync().dbsize()).isZero();
		}
	}

	@Test
	void insecureModeWarnsAndCopies(RedisServer source) {
		TestData.keys(300).loadInto(source);
		try (TlsServer target = certificates.start(false)) {
			KeyferryProcess copy = this.processes.start(KeyferryProcess.in(this.home), "copy", "--source", source.uri(),
					"--target", target.uri(), "--target-insecure", "--json", "--progress", "off");

			assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isZero();
			assertThat(copy.stderr()).contains("warning: --target-insecure");
			assertThat(copy.summary().status()).isEqualTo("COMPLETED");
			KeyspaceComparison.assertSameContent(source, target.server());
		}
	}

}
