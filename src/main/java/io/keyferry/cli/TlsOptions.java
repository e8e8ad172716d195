package io.keyferry.cli;

import java.io.PrintStream;
import java.nio.file.Path;

import io.keyferry.redis.Endpoint;
import io.keyferry.redis.TlsSettings;
import picocli.CommandLine.Option;

/**
 * The TLS options of both sides, with redis-cli's names: {@code --source-cacert},
 * {@code --target-cert}, … and {@code --cacert} for both. Only paths are taken; the files
 * are checked before any connection and read when connecting.
 */
public class TlsOptions {

	@Option(names = "--cacert", paramLabel = "FILE",
			description = "PEM CA bundle trusted for both sides' TLS certificates (default: the JVM's trusted CAs).")
	Path caCert;

	@Option(names = "--source-cacert", paramLabel = "FILE",
			description = "PEM CA bundle trusted for the source's certificate (overrides --cacert).")
	Path sourceCaCert;

	@Option(names = "--target-cacert", paramLabel = "FILE",
			description = "PEM CA bundle trusted for the target's certificate (overrides --cacert).")
	Path targetCaCert;

	@Option(names = "--source-cert", paramLabel = "FILE",
			description = "PEM client certificate for the source (mutual TLS), with --source-key.")
	Path sourceCert;

	@Option(names = "--source-key", paramLabel = "FILE",
			description = "PEM private key (PKCS#8, unencrypted) of --source-cert.")
	Path sourceKey;

	@Option(names = "--target-cert", paramLabel = "FILE",
			description = "PEM client certificate for the target (mutual TLS), with --target-key.")
	Path targetCert;

	@Option(names = "--target-key", paramLabel = "FILE",
			description = "PEM private key (PKCS#8, unencrypted) of --target-cert.")
	Path targetKey;

	@Option(names = "--source-insecure",
			description = "Do not verify the source's certificate (anyone on the path can read and change the data).")
	boolean sourceInsecure;

	@Option(names = "--target-insecure", description = "Do not verify the target's certificate.")
	boolean targetInsecure;

	@Option(names = "--source-sni", paramLabel = "NAME",
			description = "Server name sent to the source in the TLS handshake and checked in its certificate (default: the host of --source).")
	String sourceSni;

	@Option(names = "--target-sni", paramLabel = "NAME",
			description = "Server name sent to the target in the TLS handshake and checked in its certificate.")
	String targetSni;

	/**
	 * The settings of one side.
	 * @param role "source" or "target"
	 * @return the settings ({@link TlsSettings#DEFAULT} when no option is given)
	 */
	TlsSettings side(String role) {
		boolean source = "source".equals(role);
		Path ca = source ? this.sourceCaCert : this.targetCaCert;
		return TlsSettings.of((ca != null) ? ca : this.caCert, source ? this.sourceCert : this.targetCert,
				source ? this.sourceKey : this.targetKey, source ? this.sourceInsecure : this.targetInsecure,
				source ? this.sourceSni : this.targetSni);
	}

	/**
	 * The endpoint with this side's settings, checked: a usage error (exit 2) when a file
	 * is missing or unreadable, or when an option is given for a side without TLS.
	 * @param endpoint the endpoint
	 * @return the endpoint with its TLS settings
	 */
	Endpoint apply(Endpoint endpoint) {
		String role = endpoint.role();
		TlsSettings settings = side(role);
		if (!endpoint.tls() && settings.caCert() != null && settings.caCert() == this.caCert) {
			// --cacert is for the sides that use TLS
			settings = TlsSettings.of(null, settings.cert(), settings.key(), settings.insecure(), settings.sni());
		}
		return endpoint.withTls(settings.validate(role, endpoint.tls()));
	}

	/**
	 * Refuses {@code --cacert} when neither side uses TLS.
	 * @param source the source
	 * @param target the target
	 */
	void checkShared(Endpoint source, Endpoint target) {
		if (this.caCert != null && !source.tls() && !target.tls()) {
			throw io.keyferry.KeyferryException.usage("--cacert needs a TLS source or target",
					"use rediss:// in --source or --target for a server that speaks TLS");
		}
	}

	/**
	 * Prints the warning of a side whose certificate is not verified.
	 * @param endpoint the endpoint with its settings
	 * @param err where warnings go
	 */
	static void warnIfInsecure(Endpoint endpoint, PrintStream err) {
		if (endpoint.tls() && endpoint.tlsSettings().insecure()) {
			err.println("warning: --" + endpoint.role() + "-insecure: the " + endpoint.role()
					+ "'s TLS certificate is not verified; anyone on the network path can read and change the copied data");
			err.flush();
		}
	}

}
