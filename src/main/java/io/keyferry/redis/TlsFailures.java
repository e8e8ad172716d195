package io.keyferry.redis;

import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;

import io.keyferry.KeyferryException;

/**
 * Turns a failed TLS handshake into one line naming the side and the reason, with the
 * option that fixes it. Messages hold the redacted URI and the reason only, never
 * certificate or key content. Stateless.
 */
final class TlsFailures {

	private TlsFailures() {
	}

	/**
	 * Describes a TLS failure of a connection.
	 * @param endpoint the endpoint
	 * @param failure the failure
	 * @return a usage error (exit 2)
	 */
	static KeyferryException describe(Endpoint endpoint, Throwable failure) {
		String role = endpoint.role();
		String where = "TLS handshake with the " + role + " " + endpoint.redacted() + " failed: ";
		String text = messages(failure).toLowerCase(Locale.ROOT);
		if (has(failure, CertificateExpiredException.class) || text.contains("certificate expired")
				|| has(failure, CertificateNotYetValidException.class)) {
			return KeyferryException.usage(where + "the " + role + "'s certificate is expired or not yet valid",
					"renew the server's certificate (tls-cert-file), or skip verification with --" + role + "-insecure",
					failure);
		}
		if (text.contains("no subject alternative") || text.contains("no name matching")) {
			return KeyferryException.usage(
					where + "the " + role + "'s certificate does not name " + endpoint.host()
							+ (endpoint.tlsSettings().sni() != null ? " or " + endpoint.tlsSettings().sni() : ""),
					"connect by a name the certificate holds, give that name with --" + role
							+ "-sni NAME, or skip verification with --" + role + "-insecure",
					failure);
		}
		if (has(failure, CertPathValidatorException.class) || text.contains("pkix path")
				|| text.contains("unable to find valid certification path")) {
			return KeyferryException.usage(
					where + "the " + role + "'s certificate is not trusted (no trusted CA "
							+ ((endpoint.tlsSettings().caCert() != null)
									? "in --" + role + "-cacert " + endpoint.tlsSettings().caCert() : "in this JVM")
							+ " signed it)",
					"give the CA that signed it with --" + role + "-cacert FILE (PEM), or skip verification with --"
							+ role + "-insecure",
					failure);
		}
		if (text.contains("certificate_required")
				|| (endpoint.tlsSettings().cert() == null && (text.contains("bad_certificate")
						|| text.contains("handshake_failure") || closedAfterHandshake(failure)))) {
			return KeyferryException.usage(
					where + "the " + role + " requires a client certificate", "give one with --" + role
							+ "-cert FILE and --" + role + "-key FILE (PEM, signed by a CA the server trusts)",
					failure);
		}
		if (text.contains("bad_certificate") || text.contains("unknown_ca") || text.contains("certificate_unknown")
				|| text.contains("decrypt_error")) {
			return KeyferryException.usage(
					where + "the " + role + " refused the client certificate " + endpoint.tlsSettings().cert(),
					"give a client certificate signed by a CA the " + role + " trusts (its tls-ca-cert-file)", failure);
		}
		if (text.contains("not an ssl/tls record") || text.contains("unrecognized ssl message")) {
			return KeyferryException.usage(where + "the " + role + " does not speak TLS on port " + endpoint.port(),
					"use redis:// for a server without TLS, or the server's TLS port", failure);
		}
		return KeyferryException.usage(
				where + rootMessage(failure), "check that the " + role
						+ " speaks TLS on this port and its certificate is trusted (--" + role + "-cacert FILE)",
				failure);
	}

	/**
	 * Whether the server closed the connection right after the handshake, as Redis does
	 * when it requires a client certificate and none was sent (TLS 1.3 reports it after
	 * the client's side of the handshake is done).
	 * @param failure the failure
	 * @return whether it looks so
	 */
	static boolean closedAfterHandshake(Throwable failure) {
		String text = messages(failure).toLowerCase(Locale.ROOT);
		return text.contains("closed prematurely") || text.contains("connection reset");
	}

	private static boolean has(Throwable failure, Class<? extends Throwable> type) {
		for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
			if (type.isInstance(t)) {
				return true;
			}
		}
		return false;
	}

	private static String messages(Throwable failure) {
		StringBuilder sb = new StringBuilder();
		for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
			sb.append(t.getMessage()).append('\n');
			for (Throwable suppressed : t.getSuppressed()) {
				sb.append(suppressed.getMessage()).append('\n');
			}
		}
		return sb.toString();
	}

	private static String rootMessage(Throwable failure) {
		Throwable t = failure;
		while (t.getCause() != null && t.getCause() != t) {
			t = t.getCause();
		}
		return String.valueOf(t.getMessage());
	}

}
