package io.keyferry.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static java.nio.file.attribute.PosixFilePermissions.asFileAttribute;
import static java.nio.file.attribute.PosixFilePermissions.fromString;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for {@link RedisBinaries}: which redis-server the fixture runs.
 */
class RedisBinariesTests {

	@TempDir
	Path dir;

	@Test
	void environmentVariableComesFirst() throws IOException {
		Path configured = executable("custom-redis-server");
		Path onPath = executable("bin/redis-server");

		RedisBinaries.Choice choice = RedisBinaries.choose(
				Map.of("KEYFERRY_REDIS_SERVER", configured.toString(), "PATH", onPath.getParent().toString()),
				() -> true, Optional::empty);

		assertThat(choice.binary()).contains(configured);
		assertThat(choice.description()).isEqualTo("KEYFERRY_REDIS_SERVER");
	}

	@Test
	void environmentVariableNotExecutableFails() {
		assertThatIllegalStateException()
			.isThrownBy(
					() -> RedisBinaries.choose(Map.of("KEYFERRY_REDIS_SERVER", this.dir.resolve("missing").toString()),
							() -> true, Optional::empty))
			.withMessageContaining("KEYFERRY_REDIS_SERVER=")
			.withMessageContaining("is not an executable file");
	}

	@Test
	void redisServerOnPathComesBeforeDocker() throws IOException {
		Path onPath = executable("bin/redis-server");
		AtomicBoolean dockerAsked = new AtomicBoolean();

		RedisBinaries.Choice choice = RedisBinaries.choose(
				Map.of("PATH", this.dir.resolve("empty") + ":" + onPath.getParent()), () -> dockerAsked.getAndSet(true),
				Optional::empty);

		assertThat(choice.binary()).contains(onPath);
		assertThat(dockerAsked).isFalse();
	}

	@Test
	void dockerComesBeforeTheEmbeddedServer() {
		RedisBinaries.Choice choice = RedisBinaries.choose(Map.of("PATH", this.dir.toString()), () -> true,
				() -> Optional.of(Path.of("embedded")));

		assertThat(choice.container()).isTrue();
	}

	@Test
	void embeddedServerIsTheLastResort() {
		RedisBinaries.Choice choice = RedisBinaries.choose(Map.of("PATH", this.dir.toString()), () -> false,
				RedisBinaries::embedded);

		assertThat(choice.description()).isEqualTo("embedded-redis jar");
		assertThat(choice.binary()).get()
			.satisfies((binary) -> assertThat(binary).isExecutable().isEqualTo(RedisBinaries.embeddedRedis62()));
	}

	@Test
	void failsWithWhatToInstallWhenNothingWorks() {
		assertThatIllegalStateException().isThrownBy(() -> RedisBinaries.choose(Map.of(), () -> false, Optional::empty))
			.withMessageStartingWith("no redis-server found: install it (apt-get install redis-server, "
					+ "brew install redis) or set KEYFERRY_REDIS_SERVER");
	}

	@Test
	void nonExecutableFileOnPathIsIgnored() throws IOException {
		Files.createDirectories(this.dir.resolve("bin"));
		Files.createFile(this.dir.resolve("bin/redis-server"));

		assertThat(RedisBinaries.onPath(this.dir.resolve("bin").toString())).isEmpty();
	}

	private Path executable(String name) throws IOException {
		Path path = this.dir.resolve(name);
		Files.createDirectories(path.getParent());
		return Files.createFile(path, asFileAttribute(fromString("rwxr-xr-x")));
	}

}
