package io.keyferry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.keyferry.DeploymentExamplesTests.CronFile;
import io.keyferry.DeploymentExamplesTests.EnvFile;
import io.keyferry.testsupport.JsonDocument;
import io.keyferry.testsupport.KeyferryProcess;
import io.keyferry.testsupport.KeyferryProcesses;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.AclSetuserArgs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static io.keyferry.testsupport.JsonDocument.number;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The deployment examples in {@code config/} run as shipped, against two test servers
 * whose ACL user {@code app} has a password full of characters a shell would mangle: the
 * cron job's exact command line under {@code sh -c} with the cron file's variables and
 * the env file it sources; the systemd service's {@code ExecStart} with its
 * {@code Environment=} and {@code EnvironmentFile=}; {@code keyferry schedule} with
 * {@code nightly.yml} and the same variables. Only the paths (and the endpoints of
 * {@code nightly.yml}) are changed to the test's.
 */
@ExtendWith(RedisServerExtension.class)
class DeploymentExamplesJarTests {

	private static final Path CONFIG = DeploymentExamplesTests.CONFIG;

	private static final String SOURCE_PASSWORD = "s3cr$t pa#ss;&|\"\\`x`";

	private static final String TARGET_PASSWORD = "t$(id) #no x";

	private static final int KEYS = 500;

	@TempDir
	Path dir;

	@RegisterExtension
	final KeyferryProcesses processes = new KeyferryProcesses();

	@Test
	void theCronJobsCommandLineCopiesWithThePasswordsOfTheEnvFileItSources(RedisServer source, RedisServer target)
			throws Exception {
		Path etc = install(source, target);
		Path lock = Files.createDirectories(this.dir.resolve("lock"));
		Path log = Files.createDirectories(this.dir.resolve("log"));
		CronFile cron = CronFile.read(CONFIG.resolve("keyferry-nightly.cron"));
		String command = replace(cron.command(), Map.of("/etc/keyferry/", etc + "/", "/opt/keyferry/keyferry.jar",
				KeyferryProcess.jar().toString(), "/var/lock/", lock + "/", "/var/log/keyferry/", log + "/"));
		Map<String, String> environment = new LinkedHashMap<>(cron.environment());
		assertThat(environment.put("KEYFERRY_HOME", this.dir.resolve("home").toString()))
			.isEqualTo("/var/lib/keyferry");
		// java as cron's PATH would find it: this JVM's
		environment.put("PATH", javaBin() + ":" + environment.get("PATH"));
		// what cron itself sets
		environment.put("HOME", Files.createDirectories(this.dir.resolve("user-home")).toString());
		environment.put("LOGNAME", cron.user());

		int exitCode = run(List.of(environment.get("SHELL"), "-c", command), environment);

		String err = Files.readString(log.resolve("nightly.err"));
		assertThat(exitCode).as(err).isZero();
		assertThat(err).doesNotContain("error:", SOURCE_PASSWORD, TARGET_PASSWORD);
		Map<String, Object> summary = JsonDocument.object(Files.readString(log.resolve("nightly.jsonl")));
		assertThat(((String) summary.get("status")).toLowerCase()).isEqualTo("completed");
		assertThat(number(summary, "written")).isEqualTo(KEYS);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void theSystemdServiceCopiesWithItsEnvironmentAndEnvironmentFile(RedisServer source, RedisServer target)
			throws Exception {
		Path etc = install(source, target);
		Map<String, List<String>> service = DeploymentExamplesTests.unit(CONFIG.resolve("keyferry-nightly.service"))
			.get("Service");
		String execStart = service.get("ExecStart").get(0);
		assertThat(execStart).as("no quoting: split on spaces as systemd does").doesNotContain("\"", "'", "\\", "$");
		List<String> command = new ArrayList<>();
		for (String word : execStart.split(" +")) {
			command.add(switch (word) {
				case "/usr/bin/java" -> javaBin().resolve("java").toString();
				case "/opt/keyferry/keyferry.jar" -> KeyferryProcess.jar().toString();
				default -> word.replace("/etc/keyferry/", etc + "/");
			});
		}
		assertThat(command).contains(javaBin().resolve("java").toString(), KeyferryProcess.jar().toString(),
				etc.resolve("nightly.yml").toString());
		Map<String, String> environment = new LinkedHashMap<>();
		environment.put("PATH", "/usr/bin:/bin");
		for (String assignment : service.get("Environment")) {
			String[] parts = assignment.split("=", 2);
			environment.put(parts[0], parts[1]);
		}
		assertThat(environment.put("KEYFERRY_HOME", this.dir.resolve("home").toString()))
			.isEqualTo("/var/lib/keyferry");
		String envFile = service.get("EnvironmentFile").get(0);
		environment.putAll(EnvFile.read(Path.of(replace(envFile, Map.of("/etc/keyferry/", etc + "/")))));

		Path out = this.dir.resolve("service.out");
		Path err = this.dir.resolve("service.err");
		int exitCode = run(command, environment, out, err);

		assertThat(exitCode).as(Files.readString(err)).isZero();
		assertThat(Files.readString(err)).doesNotContain("error:", SOURCE_PASSWORD, TARGET_PASSWORD);
		Map<String, Object> summary = JsonDocument.object(Files.readString(out));
		assertThat(number(summary, "written")).isEqualTo(KEYS);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	@Test
	void scheduleRunsNightlyYmlWithTheVariablesOfTheEnvFile(RedisServer source, RedisServer target) throws Exception {
		Path etc = install(source, target);
		KeyferryProcess.Builder builder = KeyferryProcess.in(this.dir.resolve("home"));
		EnvFile.read(etc.resolve("env")).forEach(builder::env);

		KeyferryProcess schedule = this.processes.start(builder, "schedule", "--cron", "*/1 * * * * *", "--config",
				etc.resolve("nightly.yml").toString(), "--max-runs", "1");

		assertThat(schedule.waitFor(java.time.Duration.ofMinutes(5))).as(schedule::describe).isZero();
		List<Map<String, Object>> ran = JsonDocument.lines(schedule.stdout())
			.stream()
			.filter((line) -> !"skipped".equals(line.get("status")))
			.toList();
		assertThat(ran).as(schedule::describe).hasSize(1);
		Map<String, Object> tick = ran.get(0);
		assertThat(tick.get("status")).as(schedule::describe).isEqualTo("completed");
		assertThat(number(tick, "written")).isEqualTo(KEYS);
		assertThat(schedule.stderr()).doesNotContain(SOURCE_PASSWORD, TARGET_PASSWORD);
		KeyspaceComparison.assertSameContent(source, target, KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	/**
	 * Loads the source, gives both servers an ACL user {@code app} with a password, and
	 * writes {@code etc/nightly.yml} (the example with the test's endpoints) and
	 * {@code etc/env} (the example with the passwords).
	 * @return the {@code etc} directory, in place of {@code /etc/keyferry}
	 */
	private Path install(RedisServer source, RedisServer target) throws IOException {
		TestData.keys(KEYS).loadInto(source);
		source.sync()
			.aclSetuser("app", AclSetuserArgs.Builder.on().addPassword(SOURCE_PASSWORD).allKeys().allCommands());
		target.sync()
			.aclSetuser("app", AclSetuserArgs.Builder.on().addPassword(TARGET_PASSWORD).allKeys().allCommands());
		Path etc = Files.createDirectories(this.dir.resolve("etc"));
		String nightly = replace(Files.readString(CONFIG.resolve("nightly.yml")),
				Map.of("source: redis://app@prod-redis.internal:6379/0",
						"source: redis://app@127.0.0.1:" + source.port() + "/0",
						// no TLS on the test server
						"target: rediss://app@staging-redis.internal:6380/0",
						"target: redis://app@127.0.0.1:" + target.port() + "/0"));
		Files.writeString(etc.resolve("nightly.yml"), nightly);
		String env = replace(Files.readString(CONFIG.resolve("keyferry.env")),
				Map.of("KEYFERRY_SOURCE_PASSWORD='change-me'", "KEYFERRY_SOURCE_PASSWORD='" + SOURCE_PASSWORD + "'",
						"KEYFERRY_TARGET_PASSWORD='change-me'", "KEYFERRY_TARGET_PASSWORD='" + TARGET_PASSWORD + "'"));
		Files.writeString(etc.resolve("env"), env);
		return etc;
	}

	/** Replaces each text, which must occur. */
	private static String replace(String text, Map<String, String> replacements) {
		String result = text;
		for (Map.Entry<String, String> replacement : replacements.entrySet()) {
			if (!result.contains(replacement.getKey())) {
				fail("'" + replacement.getKey() + "' not in: " + text);
			}
			result = result.replace(replacement.getKey(), replacement.getValue());
		}
		return result;
	}

	private static Path javaBin() {
		return Path.of(System.getProperty("java.home"), "bin");
	}

	private int run(List<String> command, Map<String, String> environment) throws Exception {
		return run(command, environment, this.dir.resolve("run.out"), this.dir.resolve("run.err"));
	}

	/**
	 * Runs a command with exactly the given environment, in the test's directory; kills
	 * it and what it started when it does not end in 5 minutes.
	 */
	private int run(List<String> command, Map<String, String> environment, Path out, Path err) throws Exception {
		ProcessBuilder builder = new ProcessBuilder(command).directory(this.dir.toFile())
			.redirectOutput(out.toFile())
			.redirectError(err.toFile());
		builder.environment().clear();
		builder.environment().putAll(environment);
		Process process = builder.start();
		try {
			if (!process.waitFor(5, TimeUnit.MINUTES)) {
				fail("did not end in 5 minutes: " + command + "\nstderr: " + Files.readString(err));
			}
			return process.exitValue();
		}
		finally {
			process.descendants().forEach(ProcessHandle::destroyForcibly);
			process.destroyForcibly();
		}
	}

}
