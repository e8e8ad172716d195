package io.keyferry;

/**
 * An expected failure with a one-line message and a hint saying what to do about it. The
 * command line prints both without a stack trace; neither may contain a secret.
 */
public class KeyferryException extends RuntimeException {

	private final String hint;

	private final boolean usage;

	public KeyferryException(String message, String hint) {
		this(message, hint, false, null);
	}

	public KeyferryException(String message, String hint, Throwable cause) {
		this(message, hint, false, cause);
	}

	private KeyferryException(String message, String hint, boolean usage, Throwable cause) {
		super(message, cause);
		this.hint = hint;
		this.usage = usage;
	}

	/**
	 * A usage or configuration error: bad input, nothing was written.
	 * @param message what is wrong
	 * @param hint what to do
	 * @return the exception
	 */
	public static KeyferryException usage(String message, String hint) {
		return new KeyferryException(message, hint, true, null);
	}

	public static KeyferryException usage(String message, String hint, Throwable cause) {
		return new KeyferryException(message, hint, true, cause);
	}

	public String getHint() {
		return this.hint;
	}

	public boolean isUsage() {
		return this.usage;
	}

	/**
	 * Finds the first {@link KeyferryException} in a cause chain.
	 * @param throwable the failure
	 * @return the exception or {@code null}
	 */
	public static KeyferryException find(Throwable throwable) {
		for (Throwable t = throwable; t != null; t = (t.getCause() == t) ? null : t.getCause()) {
			if (t instanceof KeyferryException ke) {
				return ke;
			}
			for (Throwable suppressed : t.getSuppressed()) {
				KeyferryException found = find(suppressed);
				if (found != null) {
					return found;
				}
			}
		}
		return null;
	}

}
