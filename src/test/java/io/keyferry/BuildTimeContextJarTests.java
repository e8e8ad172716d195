package io.keyferry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyferryProcesses;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar starts Spring from the bean definitions generated at build time
 * ({@code process-aot}), so it parses no configuration class at start-up, and copies
 * correctly that way; {@code -Dspring.aot.enabled=false} still builds the context from
 * the configuration classes. Which way a run took is read from the JVM's class-loading
 * log.
 */
@ExtendWith(RedisServerExtension.class)
class BuildTimeContextJarTests {

	private static final Duration RUN_TIMEOUT = Duration.ofSeconds(180);

	private static final String GENERATED_INITIALIZER = "io.keyferry.job.BatchRuntime__ApplicationContextInitializer";

	private static final String CONFIGURATION_CLASS_PARSER = "org.springframework.context.annotation.ConfigurationClassParser";

	@TempDir
	Path home;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@Test
	void theJarStartsFromTheBeanDefinitionsGeneratedAtBuildTime(RedisServer source, RedisServer target)
			throws IOException {
		TestData.keys(400).loadInto(source);

		List<String> loaded = copyLoadingClasses(source, target, "");

		assertThat(loaded).contains(GENERATED_INITIALIZER).doesNotContain(CONFIGURATION_CLASS_PARSER);
		KeyspaceComparison.assertSameContent(source, target);
	}

	@Test
	void withBuildTimeDefinitionsTurnedOffTheContextIsBuiltFromTheConfigurationClasses(RedisServer source,
			RedisServer target) throws IOException {
		TestData.keys(400).loadInto(source);

		List<String> loaded = copyLoadingClasses(source, target, "-Dspring.aot.enabled=false");

		assertThat(loaded).contains(CONFIGURATION_CLASS_PARSER).doesNotContain(GENERATED_INITIALIZER);
		KeyspaceComparison.assertSameContent(source, target);
	}

	private List<String> copyLoadingClasses(RedisServer source, RedisServer target, String javaOptions)
			throws IOException {
		Path classLog = this.home.resolve("classes.log");
		KeyferryProcess copy = this.processes.start(
				KeyferryProcess.in(this.home)
					.viaLauncher()
					.env("KEYFERRY_JAVA_OPTS", javaOptions + " -Xlog:class+load=info:file=" + classLog),
				"copy", "--source", source.uri(), "--target", target.uri(), "--json", "--progress", "off");
		assertThat(copy.waitFor(RUN_TIMEOUT)).as(copy::describe).isZero();
		CopySummary summary = copy.summary().assertCountsAddUp();
		assertThat(summary.status()).isEqualTo("COMPLETED");
		assertThat(summary.written()).isEqualTo(400);
		// lines read "[uptime][info][class,load] NAME source: ..."
		return Files.readAllLines(classLog)
			.stream()
			.map((line) -> line.substring(line.indexOf("] ", line.indexOf("[class,load]")) + 2))
			.map((line) -> line.split(" ", 2)[0])
			.toList();
	}

}
