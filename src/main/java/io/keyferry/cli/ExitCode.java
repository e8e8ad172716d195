package io.keyferry.cli;

import org.springframework.batch.core.BatchStatus;

/** keyferry's exit codes, in one place. */
public final class ExitCode {

	/** The run completed. */
	public static final int OK = 0;

	/** The run failed; it is resumable. */
	public static final int FAILED = 1;

	/** Bad input or configuration; nothing was written. */
	public static final int USAGE = 2;

	/** The run was stopped; it is resumable. */
	public static final int STOPPED = 3;

	/** A verify completed and the target still differs from the source. */
	public static final int DIFFERENT = 4;

	private ExitCode() {
	}

	static int of(BatchStatus status) {
		return switch (status) {
			case COMPLETED -> OK;
			case STOPPED, STOPPING -> STOPPED;
			default -> FAILED;
		};
	}

}
