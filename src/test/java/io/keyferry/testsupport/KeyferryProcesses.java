package io.keyferry.testsupport;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The keyferry processes a test starts, killed after the test if they still run (a failed
 * assertion must not leave a copier behind). Register it on an instance field with
 * {@code @RegisterExtension}. Not thread-safe: one test owns it.
 */
public final class KeyferryProcesses implements AfterEachCallback {

	private final List<KeyferryProcess> started = new ArrayList<>();

	/**
	 * Starts a process and keeps it for clean-up.
	 * @param builder the process's options
	 * @param args the keyferry arguments
	 * @return the running process
	 */
	public KeyferryProcess start(KeyferryProcess.Builder builder, String... args) {
		KeyferryProcess process = builder.start(args);
		this.started.add(process);
		return process;
	}

	@Override
	public void afterEach(ExtensionContext context) {
		this.started.forEach(KeyferryProcess::close);
		this.started.clear();
	}

}
