package io.keyferry.redis;

import java.util.Locale;

import io.keyferry.KeyferryException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;

/**
 * Classifies Redis errors into the three kinds keyferry treats differently: a problem of
 * one key (recorded as a skip), a transient failure (retried with back-off, then the run
 * fails and stays resumable), and a fatal one (fails at once: permissions, unknown
 * command, wrong server kind). Stateless and thread-safe.
 */
public final class RedisFailures {

	/** How an error is handled. */
	public enum Kind {

		/** A problem of one key: skipped and recorded. */
		KEY,

		/** Worth retrying: connection, timeout, OOM, READONLY, LOADING … */
		TRANSIENT,

		/** Retrying cannot help. */
		FATAL

	}

	private RedisFailures() {
	}

	/**
	 * Classifies an error reply of a RESTORE.
	 * @param message the reply, e.g. {@code BUSYKEY Target key name already exists.}
	 * @return the kind
	 */
	public static Kind classifyReply(String message) {
		String code = code(message);
		return switch (code) {
			case "BUSYKEY" -> Kind.KEY;
			case "OOM", "READONLY", "LOADING", "MASTERDOWN", "BUSY", "TRYAGAIN", "CLUSTERDOWN" -> Kind.TRANSIENT;
			case "NOPERM", "NOAUTH", "WRONGPASS", "MOVED", "ASK", "CROSSSLOT" -> Kind.FATAL;
			default -> {
				String lower = message.toLowerCase(Locale.ROOT);
				if (lower.contains("unknown command") || lower.contains("max number of clients")) {
					yield lower.contains("unknown command") ? Kind.FATAL : Kind.TRANSIENT;
				}
				yield Kind.KEY;
			}
		};
	}

	/**
	 * Classifies an exception thrown while talking to Redis.
	 * @param failure the exception
	 * @return the kind
	 */
	public static Kind classify(Throwable failure) {
		Throwable t = unwrap(failure);
		if (t instanceof RedisCommandExecutionException ex) {
			return classifyReply(String.valueOf(ex.getMessage()));
		}
		if (t instanceof RedisConnectionException || t instanceof RedisCommandTimeoutException
				|| t instanceof java.io.IOException || t instanceof java.util.concurrent.TimeoutException) {
			return Kind.TRANSIENT;
		}
		if (t instanceof RedisException) {
			// "Connection closed", "Currently not connected. Commands are rejected." …
			return Kind.TRANSIENT;
		}
		return Kind.FATAL;
	}

	/**
	 * Whether a failure is a connection lost or never made (worth trying again on the
	 * connection Lettuce reconnects, or on a new one), rather than a refusal, a reply or
	 * a timeout.
	 * @param failure the failure, described ({@link KeyferryException} with Lettuce's
	 * exception as its cause) or as Lettuce threw it
	 * @return true for a lost connection
	 */
	public static boolean isLostConnection(RuntimeException failure) {
		if (failure instanceof KeyferryException known && known.isUsage()) {
			return false;
		}
		Throwable cause = unwrap((failure instanceof KeyferryException) ? failure.getCause() : failure);
		return cause instanceof RedisException && !(cause instanceof RedisCommandExecutionException)
				&& !(cause instanceof RedisCommandTimeoutException);
	}

	/**
	 * Whether a server is restarting: it refused the connection (nothing listens at the
	 * address yet) or answered {@code LOADING} (it is reading its data set back). A usage
	 * error before a run starts, worth trying again once the run has reached the server.
	 * @param failure the failure
	 * @return true when a {@link java.net.ConnectException} or a {@code LOADING} reply
	 * caused it
	 */
	public static boolean isRestarting(Throwable failure) {
		for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
			if (t instanceof java.net.ConnectException || (t instanceof RedisCommandExecutionException reply
					&& "LOADING".equals(code(String.valueOf(reply.getMessage()))))) {
				return true;
			}
		}
		return false;
	}

	/**
	 * The error code of a reply: its first word, upper case.
	 * @param message the reply
	 * @return the code, e.g. {@code OOM}
	 */
	public static String code(String message) {
		if (message == null) {
			return "";
		}
		int space = message.indexOf(' ');
		return ((space > 0) ? message.substring(0, space) : message).toUpperCase(Locale.ROOT);
	}

	static Throwable unwrap(Throwable failure) {
		Throwable t = failure;
		while ((t instanceof java.util.concurrent.ExecutionException
				|| t instanceof java.util.concurrent.CompletionException) && t.getCause() != null) {
			t = t.getCause();
		}
		return t;
	}

	/**
	 * Turns a failure that ends a run into a message and a hint for the operator.
	 * @param role "source" or "target"
	 * @param endpoint the server
	 * @param failure the last failure
	 * @return the exception to throw
	 */
	public static KeyferryException describe(String role, Endpoint endpoint, Throwable failure) {
		Throwable t = unwrap(failure);
		String reply = String.valueOf(t.getMessage());
		String where = role + " " + endpoint.redacted();
		String resume = "the run is resumable: fix the cause, then run the same command again (or keyferry resume)";
		if (t instanceof RedisCommandExecutionException) {
			String code = code(reply);
			switch (code) {
				case "OOM":
					return new KeyferryException(where + " is out of memory: " + reply,
							"free memory or raise maxmemory on the " + role + "; " + resume, failure);
				case "READONLY":
					return new KeyferryException(where + " is a read-only replica: " + reply,
							"point --" + role + " at the primary; " + resume, failure);
				case "NOPERM":
					return new KeyferryException(
							"the " + role + " user " + userName(endpoint) + " lacks a permission: " + reply,
							permissionHint(endpoint, reply) + "; " + resume, failure);
				case "NOAUTH", "WRONGPASS":
					return authentication(endpoint, failure);
				case "MOVED", "ASK", "CROSSSLOT":
					return new KeyferryException(where + " is a Redis Cluster: " + reply,
							"Redis Cluster is not supported yet: copy from and to standalone servers", failure);
				default:
					if (reply.toLowerCase(Locale.ROOT).contains("unknown command")) {
						return new KeyferryException(where + " does not allow a command keyferry needs: " + reply,
								"the command was disabled or renamed on the " + role
										+ ": enable it for keyferry's user (the README's Permissions lists what each option needs)",
								failure);
					}
					return new KeyferryException(where + " failed: " + reply, resume, failure);
			}
		}
		if (t instanceof RedisCommandTimeoutException) {
			return new KeyferryException(where + " did not answer in time: " + reply,
					"check the server's load and latency, or raise --timeout; " + resume, failure);
		}
		return new KeyferryException("lost the connection to " + where + ": " + reply,
				"check that the server is up and reachable; " + resume, failure);
	}

	/**
	 * The ACL user of an endpoint, as the server knows it.
	 * @param endpoint the server
	 * @return the user name, {@code default} when the URI names none
	 */
	public static String userName(Endpoint endpoint) {
		return (endpoint.user() != null) ? endpoint.user() : "default";
	}

	/**
	 * The ACL rule that grants commands to the endpoint's user.
	 * @param endpoint the server
	 * @param commands the command names, lower case
	 * @return e.g. {@code ACL SETUSER app +dump +pexpiretime}
	 */
	public static String grant(Endpoint endpoint, java.util.List<String> commands) {
		StringBuilder rule = new StringBuilder("ACL SETUSER ").append(userName(endpoint));
		commands.forEach((command) -> rule.append(" +").append(command));
		return rule.toString();
	}

	/**
	 * The command a NOPERM reply denies.
	 * @param reply the reply
	 * @return the command as the reply names it (lower case), {@code null} when the reply
	 * denies a key or a channel
	 */
	public static String deniedCommand(String reply) {
		java.util.regex.Matcher command = java.util.regex.Pattern.compile("run the '([^']+)' command").matcher(reply);
		return command.find() ? command.group(1) : null;
	}

	/**
	 * What to grant for a NOPERM reply: the command it names, or access to the keys.
	 */
	static String permissionHint(Endpoint endpoint, String reply) {
		String command = deniedCommand(reply);
		if (command != null) {
			return "grant it on the " + endpoint.role() + " " + endpoint.redacted() + ": "
					+ grant(endpoint, java.util.List.of(command));
		}
		return "the user may not access every key copied: grant it the keys on the " + endpoint.role() + " "
				+ endpoint.redacted() + " (ACL SETUSER " + userName(endpoint) + " ~PATTERN"
				+ ("source".equals(endpoint.role()) ? ", read" : ", read and write") + ") or narrow --match";
	}

	static KeyferryException authentication(Endpoint endpoint, Throwable failure) {
		return KeyferryException.usage("authentication failed for " + endpoint.role() + " " + endpoint.redacted(),
				"check the user and password in --" + endpoint.role() + " (redis://user:password@host:port) or in "
						+ endpoint.passwordVariable(),
				failure);
	}

}
