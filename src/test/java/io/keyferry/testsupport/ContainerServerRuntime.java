package io.keyferry.testsupport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * Runs redis-server in a {@code redis:7.0} container, used only where no redis-server
 * binary exists but a Docker engine does. The container publishes port 6379 on the chosen
 * loopback port and keeps it across a restart, which starts the same container again
 * (same {@code /data}). Not thread-safe; not exercised where no Docker engine runs.
 */
final class ContainerServerRuntime implements ServerRuntime {

	private static final DockerImageName IMAGE = DockerImageName.parse("redis:7.0");

	private static final ExposedPort REDIS_PORT = ExposedPort.tcp(6379);

	private GenericContainer<?> container;

	@Override
	public void start(int port, List<String> configArgs) {
		if (this.container != null) {
			docker().startContainerCmd(this.container.getContainerId()).exec();
			return;
		}
		List<String> command = new ArrayList<>(
				List.of("redis-server", "--bind", "0.0.0.0", "--port", "6379", "--protected-mode", "no", "--daemonize",
						"no", "--dir", "/data", "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no"));
		command.addAll(configArgs);
		GenericContainer<?> container = new GenericContainer<>(IMAGE).withCommand(command.toArray(String[]::new))
			.withCreateContainerCmdModifier((create) -> {
				create.withExposedPorts(REDIS_PORT);
				create.getHostConfig()
					.withPortBindings(new PortBinding(Ports.Binding.bindIpAndPort(RedisServer.HOST, port), REDIS_PORT));
			})
			.waitingFor(Wait.forLogMessage(".*Ready to accept connections.*", 1));
		try {
			container.start();
		}
		catch (RuntimeException ex) {
			container.stop();
			if (messages(ex).contains("port is already allocated")) {
				throw new PortInUseException("port " + port + " is already allocated");
			}
			throw ex;
		}
		this.container = container;
	}

	@Override
	public boolean isAlive() {
		return this.container != null && Boolean.TRUE
			.equals(docker().inspectContainerCmd(this.container.getContainerId()).exec().getState().getRunning());
	}

	@Override
	public void awaitExit(Duration timeout) {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (isAlive() && System.nanoTime() < deadline) {
			RedisServer.pause(50);
		}
		kill();
	}

	@Override
	public void stop() {
		if (isAlive()) {
			docker().stopContainerCmd(this.container.getContainerId()).withTimeout(10).exec();
		}
	}

	@Override
	public void kill() {
		if (isAlive()) {
			docker().killContainerCmd(this.container.getContainerId()).withSignal("KILL").exec();
		}
	}

	@Override
	public long pid() {
		return -1;
	}

	@Override
	public String log() {
		return (this.container != null) ? this.container.getLogs() : "(no container)";
	}

	@Override
	public void destroy() {
		if (this.container != null) {
			this.container.stop();
		}
	}

	private DockerClient docker() {
		return this.container.getDockerClient();
	}

	private static String messages(Throwable ex) {
		StringBuilder messages = new StringBuilder();
		for (Throwable cause = ex; cause != null && cause != cause.getCause(); cause = cause.getCause()) {
			messages.append(cause.getMessage()).append('\n');
		}
		return messages.toString();
	}

}
