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
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.keyferry.cli.ExitCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.scheduling.support.CronExpression;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The deployment examples in {@code config/} are valid for what reads them: the
 * Kubernetes CronJob uses only fields of the {@code batch/v1} API, each where it belongs,
 * and mounts every file its command names; the systemd units pass
 * {@code systemd-analyze verify} and agree with keyferry's exit codes; the cron file is a
 * {@code cron.d} file. {@code DeploymentExamplesJarTests} runs their command lines.
 */
class DeploymentExamplesTests {

	static final Path CONFIG = Path.of("config");

	@TempDir
	Path dir;

	// The Kubernetes CronJob

	@Test
	void theCronJobUsesOnlyFieldsOfTheBatchV1Api() throws IOException {
		Map<String, Object> cronJob = yaml(CONFIG.resolve("keyferry-cronjob.yaml"));

		assertThat(KubernetesFields.check(cronJob)).as("fields that batch/v1 CronJob does not have there").isEmpty();
		assertThat(cronJob).containsEntry("apiVersion", "batch/v1").containsEntry("kind", "CronJob");
	}

	@Test
	void theFieldCheckFindsFieldsOutOfPlaceAndValuesTheApiRefuses() {
		// the defect the example once had: backoffLimit is a field of the Job, not of
		// the CronJob
		Map<String, Object> cronJob = new Yaml(new SafeConstructor(new LoaderOptions())).load("""
				apiVersion: batch/v1
				kind: CronJob
				spec:
				  schedule: "0 2 * * *"
				  backoffLimit: 3
				  jobTemplate:
				    spec:
				      backoffLimit: 3
				      template:
				        spec:
				          restartPolicy: Always
				          containers:
				            - { name: keyferry, image: x, volumeMount: [] }
				""");

		assertThat(KubernetesFields.check(cronJob)).containsExactlyInAnyOrder(
				"spec.backoffLimit: not a field of CronJobSpec",
				"spec.jobTemplate.spec.template.spec.restartPolicy: 'Always' is not one of [OnFailure, Never]",
				"spec.jobTemplate.spec.template.spec.containers[0].volumeMount: not a field of Container");
	}

	@SuppressWarnings("unchecked")
	@Test
	void theCronJobMountsTheConfigItRunsAndTheSecretsThatConfigNames() throws IOException {
		Map<String, Object> spec = (Map<String, Object>) yaml(CONFIG.resolve("keyferry-cronjob.yaml")).get("spec");
		assertThat(CronExpression.isValidExpression("0 " + spec.get("schedule"))).as("a five-field cron schedule")
			.isTrue();
		assertThat(spec.get("concurrencyPolicy")).as("never two copies at once").isEqualTo("Forbid");
		Map<String, Object> pod = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) spec
			.get("jobTemplate")).get("spec")).get("template")).get("spec");
		Map<String, Object> container = ((List<Map<String, Object>>) pod.get("containers")).get(0);
		List<String> command = (List<String>) container.get("command");
		String configPath = command.get(command.indexOf("--config") + 1);
		Map<String, Map<String, Object>> volumes = new LinkedHashMap<>();
		for (Map<String, Object> volume : (List<Map<String, Object>>) pod.get("volumes")) {
			volumes.put((String) volume.get("name"), volume);
		}
		Map<String, String> mounts = new LinkedHashMap<>();
		for (Map<String, Object> mount : (List<Map<String, Object>>) container.get("volumeMounts")) {
			assertThat(volumes).as("volume of mount %s", mount).containsKey((String) mount.get("name"));
			mounts.put((String) mount.get("mountPath"), (String) mount.get("name"));
		}
		assertThat(command).contains("/opt/keyferry/keyferry.jar");
		assertThat(mounts).containsKey("/opt/keyferry");

		// the config file comes from a config map
		Path configFile = Path.of(configPath);
		String configVolume = mounts.get(configFile.getParent().toString());
		assertThat(volumes.get(configVolume)).as("volume holding %s", configPath).containsKey("configMap");
		Map<String, Object> config = yaml(CONFIG.resolve(configFile.getFileName()));
		// every password file the config names is an item of the mounted secret
		List<String> passwordFiles = config.keySet()
			.stream()
			.filter((key) -> key.endsWith("password-file"))
			.map((key) -> (String) config.get(key))
			.toList();
		assertThat(passwordFiles).hasSize(3);
		for (String file : passwordFiles) {
			Path path = Path.of(file);
			String volume = mounts.get(path.getParent().toString());
			assertThat(volume).as("a volume mounted at %s", path.getParent()).isNotNull();
			Map<String, Object> secret = (Map<String, Object>) volumes.get(volume).get("secret");
			assertThat(secret).as("volume %s", volume).isNotNull();
			assertThat((List<Map<String, Object>>) secret.get("items")).extracting((item) -> item.get("path"))
				.contains(path.getFileName().toString());
		}
		assertThat(pod.get("terminationGracePeriodSeconds")).as("time for a graceful stop after SIGTERM")
			.isInstanceOf(Integer.class);
	}

	// systemd

	@Test
	void theSystemdUnitsPassSystemdAnalyzeVerify() throws Exception {
		Path analyze = Stream.of("/usr/bin/systemd-analyze", "/bin/systemd-analyze")
			.map(Path::of)
			.filter(Files::isExecutable)
			.findFirst()
			.orElseThrow(() -> new AssertionError("systemd-analyze is not installed: it checks the systemd units in "
					+ "config/; install it with 'apt-get install systemd' (.ci/run does)"));
		Path service = Files.copy(CONFIG.resolve("keyferry-nightly.service"),
				this.dir.resolve("keyferry-nightly.service"));
		Path timer = Files.copy(CONFIG.resolve("keyferry-nightly.timer"), this.dir.resolve("keyferry-nightly.timer"));
		Path output = this.dir.resolve("verify.out");

		Process process = new ProcessBuilder(analyze.toString(), "verify", "--man=no", service.toString(),
				timer.toString())
			.redirectErrorStream(true)
			.redirectOutput(output.toFile())
			.start();
		if (!process.waitFor(2, TimeUnit.MINUTES)) {
			process.destroyForcibly();
			fail("systemd-analyze verify did not finish");
		}

		String printed = Files.readString(output);
		assertThat(process.exitValue()).as(printed).isZero();
		assertThat(printed).as("warnings (an unknown key is only a warning)").isEmpty();
	}

	@Test
	void theServiceRunsTheCopyOfTheConfigWithThePasswordsOfTheEnvFile() throws IOException {
		Map<String, Map<String, List<String>>> service = unit(CONFIG.resolve("keyferry-nightly.service"));
		Map<String, List<String>> section = service.get("Service");

		assertThat(section.get("Type")).containsExactly("oneshot");
		assertThat(section.get("User")).containsExactly("keyferry");
		assertThat(section.get("ExecStart")).singleElement()
			.asString()
			.startsWith("/usr/bin/java ")
			.contains(" -jar /opt/keyferry/keyferry.jar ")
			.endsWith(" copy --config /etc/keyferry/nightly.yml");
		assertThat(section.get("EnvironmentFile")).containsExactly("/etc/keyferry/env");
		assertThat(section.get("Environment")).containsExactly("KEYFERRY_HOME=/var/lib/keyferry");
		assertThat(section.get("StateDirectory")).as("creates KEYFERRY_HOME for the user").containsExactly("keyferry");
		assertThat(section.get("SuccessExitStatus")).as("a stopped run is resumable, not a failure")
			.containsExactly(Integer.toString(ExitCode.STOPPED));
		assertThat(section.get("KillSignal")).containsExactly("SIGTERM");

		Map<String, Map<String, List<String>>> timer = unit(CONFIG.resolve("keyferry-nightly.timer"));
		assertThat(timer.get("Timer").get("OnCalendar")).containsExactly("*-*-* 02:00:00");
		assertThat(timer.get("Install").get("WantedBy")).containsExactly("timers.target");
		assertThat(timer.get("Timer")).as("starts the service of the same name").doesNotContainKey("Unit");
	}

	// cron

	@Test
	void theCronFileIsACronDFileWhoseOneJobRunsAsKeyferry() throws IOException {
		CronFile cron = CronFile.read(CONFIG.resolve("keyferry-nightly.cron"));

		assertThat(cron.environment()).containsEntry("SHELL", "/bin/sh")
			.containsEntry("KEYFERRY_HOME", "/var/lib/keyferry")
			.containsKey("PATH");
		assertThat(CronExpression.isValidExpression("0 " + cron.schedule())).as(cron.schedule()).isTrue();
		assertThat(cron.user()).isEqualTo("keyferry");
		assertThat(cron.command()).as("cron turns %% into a new line").doesNotContain("%");
		assertThat(cron.command()).startsWith("set -a && . /etc/keyferry/env && set +a && ")
			.contains(" -jar /opt/keyferry/keyferry.jar copy --config /etc/keyferry/nightly.yml ");
		Map<String, List<String>> service = unit(CONFIG.resolve("keyferry-nightly.service")).get("Service");
		assertThat(service.get("EnvironmentFile")).as("the same env file for cron and systemd")
			.containsExactly("/etc/keyferry/env");
		assertThat(service.get("Environment"))
			.containsExactly("KEYFERRY_HOME=" + cron.environment().get("KEYFERRY_HOME"));
	}

	@Test
	void theEnvFileSetsBothPasswordsInSingleQuotes() throws IOException {
		Map<String, String> variables = EnvFile.read(CONFIG.resolve("keyferry.env"));

		assertThat(variables).containsOnlyKeys("KEYFERRY_SOURCE_PASSWORD", "KEYFERRY_TARGET_PASSWORD");
	}

	@Test
	void nightlyYmlTakesThePasswordsFromTheVariablesTheCronJobAndTheServiceSet() throws IOException {
		Map<String, Object> nightly = yaml(CONFIG.resolve("nightly.yml"));

		assertThat(nightly.keySet()).as("a password file would be used instead of the variables")
			.noneMatch((key) -> key.contains("password"));
		assertThat(nightly).containsKeys("source", "target");
	}

	static Map<String, Object> yaml(Path file) throws IOException {
		return new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file, StandardCharsets.UTF_8));
	}

	/**
	 * Reads a systemd unit file: section to key to values, in order (a key may repeat).
	 * Fails on what a unit file may not hold here: a line outside a section, or a line
	 * continued with a backslash (not used by the examples).
	 */
	static Map<String, Map<String, List<String>>> unit(Path file) throws IOException {
		Map<String, Map<String, List<String>>> sections = new LinkedHashMap<>();
		Map<String, List<String>> section = null;
		for (String line : Files.readAllLines(file)) {
			String trimmed = line.strip();
			if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith(";")) {
				continue;
			}
			assertThat(trimmed).as("%s: continued lines are not used", file).doesNotEndWith("\\");
			if (trimmed.startsWith("[")) {
				section = sections.computeIfAbsent(trimmed.substring(1, trimmed.length() - 1),
						(name) -> new LinkedHashMap<>());
				continue;
			}
			assertThat(section).as("%s: '%s' outside a section", file, line).isNotNull();
			int equals = trimmed.indexOf('=');
			assertThat(equals).as("%s: '%s'", file, line).isPositive();
			section.computeIfAbsent(trimmed.substring(0, equals).strip(), (key) -> new ArrayList<>())
				.add(trimmed.substring(equals + 1).strip());
		}
		return sections;
	}

	/**
	 * A {@code cron.d} file with variable lines and exactly one job line (five time
	 * fields, the user, the command).
	 *
	 * @param environment the variables it sets for its jobs
	 * @param schedule the five time fields
	 * @param user the user the job runs as
	 * @param command the command, run by {@code SHELL -c}
	 */
	record CronFile(Map<String, String> environment, String schedule, String user, String command) {

		private static final Pattern VARIABLE = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\s*=\\s*(.*)");

		private static final Pattern JOB = Pattern.compile("(\\S+\\s+\\S+\\s+\\S+\\s+\\S+\\s+\\S+)\\s+(\\S+)\\s+(.+)");

		static CronFile read(Path file) throws IOException {
			Map<String, String> environment = new LinkedHashMap<>();
			List<CronFile> jobs = new ArrayList<>();
			for (String line : Files.readAllLines(file)) {
				String trimmed = line.strip();
				if (trimmed.isEmpty() || trimmed.startsWith("#")) {
					continue;
				}
				var variable = VARIABLE.matcher(trimmed);
				if (variable.matches()) {
					environment.put(variable.group(1), variable.group(2));
					continue;
				}
				var job = JOB.matcher(trimmed);
				assertThat(job.matches()).as("%s: neither a variable nor a job: %s", file, line).isTrue();
				jobs.add(new CronFile(environment, job.group(1), job.group(2), job.group(3)));
			}
			assertThat(jobs).as("jobs in %s", file).hasSize(1);
			return jobs.get(0);
		}

	}

	/**
	 * The env file shared by the systemd unit ({@code EnvironmentFile=}) and the cron job
	 * ({@code set -a; . file}): only lines {@code NAME='value'}, which both read alike.
	 */
	static final class EnvFile {

		private static final Pattern LINE = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)='([^']*)'");

		private EnvFile() {
		}

		static Map<String, String> read(Path file) throws IOException {
			Map<String, String> variables = new LinkedHashMap<>();
			for (String line : Files.readAllLines(file)) {
				if (line.isBlank() || line.startsWith("#")) {
					continue;
				}
				var matcher = LINE.matcher(line);
				assertThat(matcher.matches()).as("%s: not NAME='value': %s", file, line).isTrue();
				variables.put(matcher.group(1), matcher.group(2));
			}
			return variables;
		}

	}

	/**
	 * The fields of the Kubernetes objects a CronJob example uses, from the API reference
	 * of {@code batch/v1} CronJob, Job and {@code core/v1} Pod (Kubernetes 1.31): each
	 * type lists all of its fields, each with its kind — a scalar ({@code string},
	 * {@code integer}, {@code boolean}), {@code map} (string keys, scalar values),
	 * {@code any} (not checked further), another type, or a list of one ({@code []Type}).
	 * Types the example does not use are {@code any}.
	 */
	static final class KubernetesFields {

		private static final Map<String, Map<String, String>> TYPES = new LinkedHashMap<>();

		/** Values allowed by the API (restartPolicy: those allowed in a Job's pods). */
		private static final Map<String, List<String>> ENUMS = Map.of("CronJobSpec.concurrencyPolicy",
				List.of("Allow", "Forbid", "Replace"), "PodSpec.restartPolicy", List.of("OnFailure", "Never"));

		private static final Map<String, List<String>> REQUIRED = Map.of("CronJobSpec",
				List.of("schedule", "jobTemplate"), "PodSpec", List.of("containers"), "Container",
				List.of("name", "image"), "Volume", List.of("name"), "VolumeMount", List.of("name", "mountPath"),
				"KeyToPath", List.of("key", "path"), "EnvVar", List.of("name"));

		static {
			type("CronJob", "apiVersion string", "kind string", "metadata ObjectMeta", "spec CronJobSpec",
					"status any");
			type("ObjectMeta", "name string", "namespace string", "labels map", "annotations map",
					"generateName string", "ownerReferences any", "finalizers any", "uid string",
					"resourceVersion string", "generation integer", "creationTimestamp string",
					"deletionTimestamp string", "deletionGracePeriodSeconds integer", "managedFields any",
					"selfLink string");
			type("CronJobSpec", "schedule string", "timeZone string", "startingDeadlineSeconds integer",
					"concurrencyPolicy string", "suspend boolean", "jobTemplate JobTemplateSpec",
					"successfulJobsHistoryLimit integer", "failedJobsHistoryLimit integer");
			type("JobTemplateSpec", "metadata ObjectMeta", "spec JobSpec");
			type("JobSpec", "parallelism integer", "completions integer", "activeDeadlineSeconds integer",
					"podFailurePolicy any", "successPolicy any", "backoffLimit integer", "backoffLimitPerIndex integer",
					"maxFailedIndexes integer", "selector any", "manualSelector boolean", "template PodTemplateSpec",
					"ttlSecondsAfterFinished integer", "completionMode string", "suspend boolean",
					"podReplacementPolicy string", "managedBy string");
			type("PodTemplateSpec", "metadata ObjectMeta", "spec PodSpec");
			type("PodSpec", "volumes []Volume", "initContainers []Container", "containers []Container",
					"ephemeralContainers any", "restartPolicy string", "terminationGracePeriodSeconds integer",
					"activeDeadlineSeconds integer", "dnsPolicy string", "nodeSelector map",
					"serviceAccountName string", "serviceAccount string", "automountServiceAccountToken boolean",
					"nodeName string", "hostNetwork boolean", "hostPID boolean", "hostIPC boolean",
					"shareProcessNamespace boolean", "securityContext any", "imagePullSecrets any", "hostname string",
					"subdomain string", "affinity any", "schedulerName string", "tolerations any", "hostAliases any",
					"priorityClassName string", "priority integer", "dnsConfig any", "readinessGates any",
					"runtimeClassName string", "enableServiceLinks boolean", "preemptionPolicy string", "overhead map",
					"topologySpreadConstraints any", "setHostnameAsFQDN boolean", "os any", "hostUsers boolean",
					"schedulingGates any", "resourceClaims any", "resources any");
			type("Container", "name string", "image string", "command []string", "args []string", "workingDir string",
					"ports any", "envFrom any", "env []EnvVar", "resources ResourceRequirements", "resizePolicy any",
					"restartPolicy string", "volumeMounts []VolumeMount", "volumeDevices any", "livenessProbe any",
					"readinessProbe any", "startupProbe any", "lifecycle any", "terminationMessagePath string",
					"terminationMessagePolicy string", "imagePullPolicy string", "securityContext any", "stdin boolean",
					"stdinOnce boolean", "tty boolean");
			type("EnvVar", "name string", "value string", "valueFrom any");
			type("ResourceRequirements", "limits map", "requests map", "claims any");
			type("VolumeMount", "name string", "mountPath string", "readOnly boolean", "subPath string",
					"subPathExpr string", "mountPropagation string", "recursiveReadOnly string");
			type("Volume", "name string", "persistentVolumeClaim PersistentVolumeClaimVolumeSource",
					"configMap ConfigMapVolumeSource", "secret SecretVolumeSource", "emptyDir EmptyDirVolumeSource",
					"hostPath any", "projected any", "downwardAPI any", "csi any", "ephemeral any", "nfs any",
					"iscsi any", "image any", "awsElasticBlockStore any", "azureDisk any", "azureFile any",
					"cephfs any", "cinder any", "fc any", "flexVolume any", "flocker any", "gcePersistentDisk any",
					"gitRepo any", "glusterfs any", "photonPersistentDisk any", "portworxVolume any", "quobyte any",
					"rbd any", "scaleIO any", "storageos any", "vsphereVolume any");
			type("PersistentVolumeClaimVolumeSource", "claimName string", "readOnly boolean");
			type("ConfigMapVolumeSource", "name string", "items []KeyToPath", "defaultMode integer",
					"optional boolean");
			type("SecretVolumeSource", "secretName string", "items []KeyToPath", "defaultMode integer",
					"optional boolean");
			type("KeyToPath", "key string", "path string", "mode integer");
			type("EmptyDirVolumeSource", "medium string", "sizeLimit string");
		}

		private KubernetesFields() {
		}

		private static void type(String name, String... fields) {
			Map<String, String> map = new LinkedHashMap<>();
			for (String field : fields) {
				String[] parts = field.split(" ");
				map.put(parts[0], parts[1]);
			}
			TYPES.put(name, map);
		}

		/**
		 * Checks a CronJob.
		 * @param cronJob the parsed YAML
		 * @return one line per problem, e.g.
		 * {@code spec.backoffLimit: not a field of CronJobSpec}
		 */
		static List<String> check(Map<String, Object> cronJob) {
			List<String> problems = new ArrayList<>();
			check("", "CronJob", cronJob, problems);
			return problems;
		}

		private static void check(String path, String type, Object value, List<String> problems) {
			if (type.equals("any")) {
				return;
			}
			if (type.startsWith("[]")) {
				if (!(value instanceof List<?> list)) {
					problems.add(path + ": not a list");
					return;
				}
				for (int i = 0; i < list.size(); i++) {
					check(path + "[" + i + "]", type.substring(2), list.get(i), problems);
				}
				return;
			}
			switch (type) {
				case "string" -> {
					if (!(value instanceof String)) {
						problems.add(path + ": not a string: " + value);
					}
				}
				case "integer" -> {
					if (!(value instanceof Integer || value instanceof Long)) {
						problems.add(path + ": not an integer: " + value);
					}
				}
				case "boolean" -> {
					if (!(value instanceof Boolean)) {
						problems.add(path + ": not a boolean: " + value);
					}
				}
				case "map" -> {
					if (!(value instanceof Map<?, ?> map)
							|| map.values().stream().anyMatch((v) -> v instanceof Map || v instanceof List)) {
						problems.add(path + ": not a map of scalars: " + value);
					}
				}
				default -> {
					Map<String, String> fields = TYPES.get(type);
					if (!(value instanceof Map<?, ?> object)) {
						problems.add(path + ": not an object (" + type + ")");
						return;
					}
					for (String required : REQUIRED.getOrDefault(type, List.of())) {
						if (!object.containsKey(required)) {
							problems.add(path + ": " + type + " needs " + required);
						}
					}
					for (Map.Entry<?, ?> entry : object.entrySet()) {
						String name = String.valueOf(entry.getKey());
						String fieldPath = path.isEmpty() ? name : path + "." + name;
						String fieldType = fields.get(name);
						if (fieldType == null) {
							problems.add(fieldPath + ": not a field of " + type);
							continue;
						}
						List<String> allowed = ENUMS.get(type + "." + name);
						if (allowed != null && !allowed.contains(entry.getValue())) {
							problems.add(fieldPath + ": '" + entry.getValue() + "' is not one of " + allowed);
						}
						check(fieldPath, fieldType, entry.getValue(), problems);
					}
				}
			}
		}

	}

}
