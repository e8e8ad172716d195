package io.keyferry.job;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ch.qos.logback.classic.LoggerContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests of {@link BatchRuntime}'s start hook, which {@code keyferry copy} uses to check
 * the servers while the context starts: it runs once, after Spring Boot has set up
 * logging (Lettuce and Netty log as they start; before that, logback's default
 * configuration would print their debug lines to the console) and before the context is
 * ready.
 */
class BatchRuntimeTests {

	@TempDir
	Path home;

	@Test
	void theHookRunsOnceLoggingIsSetUpAndBeforeTheContextIsReady() {
		List<Boolean> loggingReadyWhenRun = new ArrayList<>();
		List<Boolean> contextReadyWhenRun = new ArrayList<>();
		ConfigurableApplicationContext[] context = new ConfigurableApplicationContext[1];
		try (ConfigurableApplicationContext started = BatchRuntime.start(this.home, false, Map.of(), () -> {
			LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
			loggingReadyWhenRun.add(logging.getObject(LoggingSystem.class.getName()) != null);
			contextReadyWhenRun.add(context[0] != null);
		})) {
			context[0] = started;
			assertThat(started.isActive()).isTrue();
		}
		assertThat(loggingReadyWhenRun).containsExactly(true);
		assertThat(contextReadyWhenRun).containsExactly(false);
		LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
		assertThat(logging.getObject(LoggingSystem.class.getName())).as("closing the context resets logging").isNull();
	}

}
