package io.keyferry.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

import io.keyferry.KeyferryException;
import io.keyferry.job.CopySettings;
import io.keyferry.job.VerifySettings;
import io.keyferry.redis.ConflictPolicy;
import io.keyferry.redis.WriteMode;
import io.keyferry.run.VerifyLauncher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code keyferry verify}: compares the target with the source, key by key, as a
 * resumable run.
 */
@Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
		description = {
				"Compare TARGET with SOURCE: for every source key of the filter, the target must have it with the same type, value and expiry (within --ttl-tolerance).",
				"Keys that differ are compared again (--passes) so that keys changed while the verify ran settle; only keys that still differ in the last pass are reported (keyferry show EXECUTION_ID --differences all lists them).",
				"--fix copies again what still differs (and --delete-extra deletes the extra keys), then compares those keys once more.",
				"Running the same command after a failure, a stop or a kill resumes that run from its last checkpoint." },
		footer = { "",
				"Exit codes: 0 the target matches the source, 4 differences remain, 1 failed (resumable), 2 usage.", "",
				"Examples:", "  keyferry verify --source redis://prod:6379 --target redis://staging:6379",
				"  keyferry verify --source redis://prod:6379 --target redis://staging:6379 --match 'user:*' --extra --json",
				"  keyferry verify --source redis://prod:6379 --target redis://staging:6379 --extra --fix --delete-extra",
				"  keyferry verify --source redis://prod:6379 --target redis://staging:6379 --all-databases --extra" })
public class VerifyCommand implements Callable<Integer> {

	@ParentCommand
	KeyferryCommand parent;

	@Spec
	CommandSpec spec;

	@Option(names = "--config", paramLabel = "FILE",
			description = "YAML file with any of these options (names without '--'); options on the command line override it.")
	Path config;

	@Mixin
	ConnectionOptions connection = new ConnectionOptions();

	@Mixin
	ScanOptions scan = new ScanOptions();

	@Option(names = "--all-databases",
			description = "Verify every database of a standalone source that holds keys (INFO keyspace), each against the same database of the target (with --extra, every database of the target that holds keys), as copy --all-databases copies them. The URIs then name no /db. Part of the run's identity.")
	boolean allDatabases;

	@Option(names = "--ttl-tolerance", paramLabel = "DURATION", defaultValue = "100ms",
			converter = DurationConverter.class,
			description = "How far apart the source's and the target's expiry may be (absolute times, corrected for clock skew).")
	Duration ttlTolerance;

	@Option(names = "--passes", paramLabel = "N", defaultValue = "3",
			description = "How many times a key that differs is compared, the first pass included.")
	int passes;

	@Option(names = "--pass-pause", paramLabel = "DURATION", defaultValue = "1s", converter = DurationConverter.class,
			description = "Pause before each later pass.")
	Duration passPause;

	@Option(names = "--extra",
			description = "Also scan the target (each master of a cluster) for keys of the filter that the source lacks; with --rename-prefix a target key is looked up in the source under the name it was copied from. Extra keys are listed by their target name.")
	boolean extra;

	@Option(names = "--fix",
			description = "Copy again every key that still differs after the last pass (as copy --on-conflict replace writes it), then compare those keys once more; the summary counts them as fixed.")
	boolean fix;

	@Option(names = "--delete-extra",
			description = "With --fix and --extra: delete from the target the extra keys (keys of the filter that the source lacks).")
	boolean deleteExtra;

	@Option(names = "--fresh",
			description = "Start a new verify run even when the last one with the same options is unfinished (it is abandoned).")
	boolean fresh;

	@Mixin
	RunOutput output = new RunOutput();

	@Override
	public Integer call() {
		ConfigFile.apply(this.spec, this.config, "verify");
		VerifySettings settings = settings();
		TlsOptions.warnIfInsecure(settings.copy().source(), this.parent.err);
		TlsOptions.warnIfInsecure(settings.copy().target(), this.parent.err);
		Map<String, Object> repository = this.parent.repository();
		return Runs.launch(this.parent, repository, null, (context) -> {
			VerifyLauncher launcher = context.getBean(VerifyLauncher.class);
			return new Runs.Launch(launcher::stopCurrent, () -> launcher.verify(settings, this.fresh));
		}, this.output);
	}

	VerifySettings settings() {
		CopySettings copy = this.scan
			.settings("verify", this.connection, ConflictPolicy.REPLACE, false, CopySettings.DEFAULT_MAX_VALUE_BYTES,
					CopySettings.DEFAULT_CHUNK_BYTES, false)
			.withModes(this.allDatabases, WriteMode.AUTO);
		if (this.allDatabases) {
			this.connection.checkAllDatabases("verify");
		}
		ScanOptions.positive("verify", "--passes", this.passes);
		if (this.ttlTolerance.isNegative()) {
			throw KeyferryException.usage("--ttl-tolerance must not be negative", "e.g. --ttl-tolerance 100ms");
		}
		if (this.passPause.isNegative()) {
			throw KeyferryException.usage("--pass-pause must not be negative", "e.g. --pass-pause 1s");
		}
		if (this.deleteExtra && !(this.fix && this.extra)) {
			throw KeyferryException.usage("--delete-extra needs --fix and --extra",
					"add --fix --extra to delete the target's keys of the filter that the source lacks");
		}
		return new VerifySettings(copy, this.ttlTolerance, this.passes, this.passPause, this.extra, this.fix,
				this.deleteExtra);
	}

}
