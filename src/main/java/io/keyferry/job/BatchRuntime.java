package io.keyferry.job;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.keyferry.KeyferryException;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Starts Spring (Boot's batch-jdbc auto-configuration builds the job repository and the
 * job operator) for a command that needs the job repository. The default repository is an
 * H2 file in {@code $KEYFERRY_HOME/repository} opened with {@code AUTO_SERVER=TRUE}, so a
 * second keyferry process (stop, history) can read it while a copy runs;
 * {@code spring.datasource.*} selects any other JDBC database.
 */
@SpringBootApplication(proxyBeanMethods = false,
		scanBasePackages = { "io.keyferry.job", "io.keyferry.run", "io.keyferry.repository", "io.keyferry.report" })
@EnableConfigurationProperties(KeyferryProperties.class)
public class BatchRuntime {

	private static final String AOT_ENABLED = "spring.aot.enabled";

	/** The default H2 repository's file name in {@code $KEYFERRY_HOME/repository}. */
	private static final String REPOSITORY_NAME = "keyferry";

	/** The initializer {@code process-aot} generates for this class. */
	private static final String AOT_INITIALIZER = BatchRuntime.class.getName() + "__ApplicationContextInitializer";

	/**
	 * Starts the context.
	 * @param home the keyferry home directory
	 * @param verbose whether logs go to stderr as well as to the log file
	 * @param overrides extra properties (e.g. {@code spring.datasource.url})
	 * @return the running context; close it when done
	 */
	public static ConfigurableApplicationContext start(Path home, boolean verbose, Map<String, Object> overrides) {
		return start(home, verbose, overrides, null);
	}

	/**
	 * Starts the context, running {@code loggingReady} as soon as logging is set up
	 * (while the rest of the context starts).
	 * @param home the keyferry home directory
	 * @param verbose whether logs go to stderr as well as to the log file
	 * @param overrides extra properties (e.g. {@code spring.datasource.url})
	 * @param loggingReady what to start then, or {@code null}
	 * @return the running context; close it when done
	 */
	public static ConfigurableApplicationContext start(Path home, boolean verbose, Map<String, Object> overrides,
			Runnable loggingReady) {
		try {
			Files.createDirectories(home.resolve("repository"));
			Files.createDirectories(home.resolve("logs"));
		}
		catch (java.io.IOException ex) {
			throw KeyferryException.usage("cannot create the keyferry home " + home + ": " + ex.getMessage(),
					"set KEYFERRY_HOME to a writable directory");
		}
		// the H2 auto-server listens on loopback only
		System.setProperty("h2.bindAddress", "127.0.0.1");
		Map<String, Object> properties = new HashMap<>();
		properties.put("keyferry.home", home.toString());
		properties.put("spring.main.banner-mode", "off");
		properties.put("spring.main.log-startup-info", "false");
		properties.put("spring.batch.job.enabled", "false");
		properties.put("spring.batch.jdbc.initialize-schema", "never");
		if (!configured("spring.datasource.url", overrides)) {
			properties.put("spring.datasource.url",
					"jdbc:h2:file:" + home.resolve("repository").resolve(REPOSITORY_NAME)
							+ ";AUTO_SERVER=TRUE;TRACE_LEVEL_FILE=0;LOCK_TIMEOUT=10000;WRITE_DELAY=0");
			properties.put("spring.datasource.username", "sa");
			properties.put("spring.datasource.password", "");
		}
		properties.put("spring.datasource.hikari.maximum-pool-size", "10");
		properties.put("spring.datasource.hikari.minimum-idle", "2");
		properties.put("spring.datasource.hikari.pool-name", "keyferry-repository");
		properties.put("logging.file.name", home.resolve("logs").resolve("keyferry.log").toString());
		properties.put("logging.threshold.console", verbose ? "INFO" : "OFF");
		properties.put("logging.level.root", "INFO");
		properties.putAll(overrides);
		SpringApplication application = new SpringApplication(BatchRuntime.class);
		// names the initializer generated at build time (the JVM's main class is
		// picocli's)
		application.setMainApplicationClass(BatchRuntime.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setRegisterShutdownHook(false);
		application.setDefaultProperties(properties);
		if (loggingReady != null) {
			// unordered, so after Boot's logging listener has configured logging for this
			// event
			application
				.addListeners((ApplicationListener<ApplicationEnvironmentPreparedEvent>) (event) -> loggingReady.run());
		}
		return application.run();
	}

	/**
	 * Checks that the default job repository exists in the home, for the commands that
	 * only read or resume runs: a mistyped {@code --home} must not silently create an
	 * empty repository. Only {@code copy} and {@code schedule} create it.
	 * @param home the keyferry home directory
	 * @param overrides the properties given to {@link #start} (another database given
	 * there is not checked)
	 * @throws KeyferryException (usage) when there is none
	 */
	public static void requireRepository(Path home, Map<String, Object> overrides) {
		if (configured("spring.datasource.url", overrides)) {
			return;
		}
		if (!Files.isRegularFile(home.resolve("repository").resolve(REPOSITORY_NAME + ".mv.db"))) {
			throw KeyferryException.usage("there is no keyferry job repository in " + home,
					"check --home or KEYFERRY_HOME (default ~/.keyferry): keyferry copy creates the repository there on its first run");
		}
	}

	/**
	 * Starts the context for the build's ahead-of-time processing ({@code process-aot}),
	 * which stops it once its bean definitions are known and generates code that
	 * registers them.
	 * @param args the keyferry home to use (the build's own directory)
	 */
	public static void main(String[] args) {
		if (args.length != 1) {
			throw new IllegalArgumentException("usage: BatchRuntime HOME (for process-aot)");
		}
		start(Path.of(args[0]), false, Map.of());
	}

	/**
	 * Makes Spring use the bean definitions generated at build time when the application
	 * holds them (the packaged jar does) and {@code spring.aot.enabled} is not set: the
	 * context then skips parsing configuration classes and evaluating auto-configuration
	 * conditions at every start. {@code -Dspring.aot.enabled=false} turns it off.
	 */
	public static void preferBuildTimeContext() {
		if (System.getProperty(AOT_ENABLED) == null && BatchRuntime.class.getClassLoader()
			.getResource(AOT_INITIALIZER.replace('.', '/') + ".class") != null) {
			System.setProperty(AOT_ENABLED, "true");
		}
	}

	/**
	 * Whether {@code keyferry.connect-timeout} is set (as Spring would read it).
	 * @param overrides the properties given to {@link #start}
	 * @return {@code true} when set
	 */
	public static boolean connectTimeoutConfigured(Map<String, Object> overrides) {
		return configured("keyferry.connect-timeout", overrides) || configured("keyferry.connectTimeout", overrides);
	}

	private static boolean configured(String property, Map<String, Object> overrides) {
		String variable = property.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace("-", "");
		return overrides.containsKey(property) || System.getProperty(property) != null
				|| System.getenv(variable) != null;
	}

}
