package io.keyferry.redis;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.List;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;

import io.keyferry.KeyferryException;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;

/**
 * How one side's TLS connections are made, with redis-cli's option names: a PEM CA bundle
 * ({@code --cacert}), a PEM client certificate and key for mutual TLS ({@code --cert},
 * {@code --key}), no verification at all ({@code --insecure}) and the name sent in the
 * handshake ({@code --sni}). Only file paths are held, never their content; the files are
 * read when a connection is made. Immutable.
 *
 * <p>
 * The server's host name is checked against its certificate ({@link SslVerifyMode#FULL})
 * for the address the user gave. Cluster nodes and replicas are reached at the addresses
 * the cluster announces, typically IP addresses that certificates do not name
 * (lettuce#2837): there {@link #atAnnouncedAddress()} checks the chain only
 * ({@link SslVerifyMode#CA}).
 *
 * @param caCert the PEM CA bundle or {@code null} for the JVM's trusted CAs
 * @param cert the PEM client certificate (chain) or {@code null}
 * @param key the PEM private key (PKCS#8, unencrypted) of the client certificate or
 * {@code null}
 * @param insecure whether to skip certificate verification
 * @param sni the server name sent in the handshake or {@code null} for the host's
 * @param checkHost whether the host name is checked against the certificate
 */
public record TlsSettings(Path caCert, Path cert, Path key, boolean insecure, String sni, boolean checkHost) {

	/** The JVM's trusted CAs, no client certificate, host name checked. */
	public static final TlsSettings DEFAULT = new TlsSettings(null, null, null, false, null, true);

	/**
	 * Settings given by the user (host name checked).
	 * @param caCert the CA bundle or {@code null}
	 * @param cert the client certificate or {@code null}
	 * @param key the client key or {@code null}
	 * @param insecure skip verification
	 * @param sni the server name or {@code null}
	 * @return the settings
	 */
	public static TlsSettings of(Path caCert, Path cert, Path key, boolean insecure, String sni) {
		return new TlsSettings(caCert, cert, key, insecure, (sni != null && !sni.isBlank()) ? sni.trim() : null, true);
	}

	/**
	 * Whether any option differs from the default.
	 * @return {@code true} when a CA, a client certificate, insecure mode or SNI is set
	 */
	public boolean isCustomized() {
		return this.caCert != null || this.cert != null || this.key != null || this.insecure || this.sni != null;
	}

	/**
	 * These settings for a node reached at an address the cluster announced: the
	 * certificate chain is checked, its host name is not.
	 * @return the settings for a cluster node or replica
	 */
	public TlsSettings atAnnouncedAddress() {
		return new TlsSettings(this.caCert, this.cert, this.key, this.insecure, this.sni, false);
	}

	/**
	 * How much of the server's certificate is checked.
	 * @return NONE when insecure, CA at an announced address, else FULL
	 */
	public SslVerifyMode verifyMode() {
		if (this.insecure) {
			return SslVerifyMode.NONE;
		}
		return this.checkHost ? SslVerifyMode.FULL : SslVerifyMode.CA;
	}

	/**
	 * Lettuce's TLS options for these settings (the JDK's TLS provider; files are read
	 * when a connection is made).
	 * @return the options
	 */
	public SslOptions sslOptions() {
		SslOptions.Builder builder = SslOptions.builder().jdkSslProvider();
		if (this.caCert != null && !this.insecure) {
			builder.trustManager(this.caCert.toFile());
		}
		if (this.cert != null && this.key != null) {
			builder.keyManager(this.cert.toFile(), this.key.toFile(), null);
		}
		if (this.sni != null) {
			String name = this.sni;
			builder.sslParameters(() -> {
				SSLParameters parameters = new SSLParameters();
				parameters.setServerNames(List.of(new SNIHostName(name)));
				return parameters;
			});
		}
		return builder.build();
	}

	/**
	 * Checks, before any connection, that the options fit together and that each file is
	 * readable and holds what it should; messages name the option and the file, never
	 * their content.
	 * @param role "source" or "target"
	 * @param tls whether the side's URI is {@code rediss://}
	 * @return these settings
	 */
	public TlsSettings validate(String role, boolean tls) {
		if (!isCustomized()) {
			return this;
		}
		if (!tls) {
			throw KeyferryException.usage("--" + role + "-" + firstOption() + " needs a TLS " + role,
					"use rediss:// in --" + role + " for a server that speaks TLS");
		}
		if ((this.cert == null) != (this.key == null)) {
			throw KeyferryException.usage("--" + role + "-cert and --" + role + "-key go together",
					"give both the client certificate and its private key (PEM files)");
		}
		if (this.sni != null) {
			try {
				new SNIHostName(this.sni);
			}
			catch (IllegalArgumentException ex) {
				throw KeyferryException.usage("invalid --" + role + "-sni '" + this.sni + "'",
						"give a host name, e.g. redis.example.com");
			}
		}
		checkPath(role, "cacert", this.caCert);
		checkPath(role, "cert", this.cert);
		checkPath(role, "key", this.key);
		if (this.caCert != null) {
			checkCertificates(role, "cacert", this.caCert);
		}
		if (this.cert != null) {
			checkCertificates(role, "cert", this.cert);
			checkKey(role, this.key);
		}
		return this;
	}

	private String firstOption() {
		if (this.caCert != null) {
			return "cacert";
		}
		if (this.cert != null) {
			return "cert";
		}
		if (this.key != null) {
			return "key";
		}
		return this.insecure ? "insecure" : "sni";
	}

	/**
	 * Refuses PEM content given where a path belongs, without echoing it.
	 */
	private static void checkPath(String role, String option, Path file) {
		if (file != null && (file.toString().contains("-----") || file.toString().contains("\n"))) {
			throw KeyferryException.usage("--" + role + "-" + option + " must be a file path, not PEM content",
					"save the PEM block in a file and give its path");
		}
	}

	private static void checkCertificates(String role, String option, Path file) {
		String what = "--" + role + "-" + option + " " + file;
		try (InputStream in = Files.newInputStream(file)) {
			if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
				throw KeyferryException.usage(what + " holds no certificate",
						"give a PEM file with -----BEGIN CERTIFICATE----- blocks");
			}
		}
		catch (IOException ex) {
			throw unreadable(what, ex);
		}
		catch (CertificateException ex) {
			throw KeyferryException.usage(what + " is not a PEM certificate file",
					"give a PEM file with -----BEGIN CERTIFICATE----- blocks");
		}
	}

	private static void checkKey(String role, Path file) {
		String what = "--" + role + "-key " + file;
		String text;
		try {
			text = Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1);
		}
		catch (IOException ex) {
			throw unreadable(what, ex);
		}
		if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
			throw KeyferryException.usage(what + " is encrypted",
					"give an unencrypted PKCS#8 key: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
		}
		if (text.contains("-----BEGIN RSA PRIVATE KEY-----") || text.contains("-----BEGIN EC PRIVATE KEY-----")) {
			throw KeyferryException.usage(what + " is not in PKCS#8 form",
					"convert it: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
		}
		if (!text.contains("-----BEGIN PRIVATE KEY-----")) {
			throw KeyferryException.usage(what + " is not a PEM private key",
					"give a PEM file with a -----BEGIN PRIVATE KEY----- block");
		}
	}

	private static KeyferryException unreadable(String what, IOException ex) {
		String reason = (ex instanceof java.nio.file.NoSuchFileException) ? "no such file"
				: (ex instanceof java.nio.file.AccessDeniedException) ? "permission denied"
						: ex.getClass().getSimpleName();
		return KeyferryException.usage("cannot read " + what + ": " + reason, "check the path and its permissions");
	}

}
