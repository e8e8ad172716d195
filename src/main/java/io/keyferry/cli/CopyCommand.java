package io.keyferry.cli;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;

import io.keyferry.KeyferryException;
import io.keyferry.job.BatchRuntime;
import io.keyferry.run.CopyLauncher;
import io.keyferry.run.CopyOutcome;
import io.keyferry.job.CopySettings;
import io.keyferry.run.Preflight;
import io.keyferry.run.VerifyLauncher;
import io.keyferry.job.VerifySettings;
import org.springframework.batch.core.BatchStatus;
import io.keyferry.redis.Backoff;
import io.keyferry.redis.ConflictPolicy;
import io.keyferry.redis.WriteMode;
import io.keyferry.redis.PrefixRenames;
import io.keyferry.redis.ReadFrom;
import java.nio.file.Path;
import java.util.Map;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code keyferry copy}: copies the keys of a source into a target, resuming the last
 * unfinished run with the same source, target and filter.
 */
@Command(name = "copy", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true, description = {
		"Copy keys from SOURCE to TARGET (SCAN -> DUMP + PTTL -> RESTORE).",
		"Running the same command after a failure, a stop or a kill resumes that run from its last checkpoint; after a completed run it starts the next run." },
		footer = { "",
				"Passwords may come from KEYFERRY_SOURCE_PASSWORD and KEYFERRY_TARGET_PASSWORD instead of the URIs.",
				"They are never stored or printed.", "", "Examples:",
				"  keyferry copy --source redis://10.0.0.5:6379 --target rediss://app@cache.example.com:6380/0",
				"  keyferry copy --source redis://prod:6379 --target redis://staging:6379 --match 'user:*' --on-conflict skip",
				"  keyferry copy --source redis://prod:6379 --target redis://staging:6379 --match 'session:*' --delete-missing",
				"  keyferry copy --source rediss://prod:6380 --source-cacert ca.pem --source-cert client.pem --source-key client.key --target redis://staging:6379" })
public class CopyCommand implements Callable<Integer> {

	static final Set<String> TYPES = ScanOptions.TYPES;

	@ParentCommand
	KeyferryCommand parent;

	@Spec
	CommandSpec spec;

	@Option(names = "--config", paramLabel = "FILE",
			description = "YAML file with any of these options (names without '--'); options on the command line override it. Secrets never go in it: use the *-password-file options or the environment.")
	Path config;

	@Mixin
	ConnectionOptions connection = new ConnectionOptions();

	@Mixin
	ScanOptions scan = new ScanOptions();

	@Option(names = "--on-conflict", paramLabel = "POLICY", defaultValue = "replace",
			description = "When a key exists in the target: replace, skip (recorded with reason 'exists') or fail.")
	String onConflict;

	@Option(names = "--write-mode", paramLabel = "MODE", defaultValue = "auto",
			description = "How keys are written: restore (RESTORE of the DUMP payload only; a payload the target cannot read is skipped), types (every key with its type's commands), or auto (RESTORE, and type by type each key whose payload the target cannot read, e.g. a target older than the source).")
	String writeMode;

	@Option(names = "--functions",
			description = "Also copy the source's function libraries (Redis 7+: FUNCTION DUMP / FUNCTION RESTORE on every target master) under --on-conflict: replace overwrites a library of the same name, skip keeps the target's, fail refuses to start.")
	boolean functions;

	@Option(names = "--all-databases",
			description = "Copy every database of a standalone source that holds keys (INFO keyspace), each to the same database of the target, in one run with its own partitions and checkpoints per database. The URIs then name no /db; a Redis Cluster has database 0 only. Part of the run's identity.")
	boolean allDatabases;

	@Option(names = "--verify",
			description = "After a completed copy, verify the target against the source (as keyferry verify with the same source, target, filter and options, every database with --all-databases, default passes) and exit by its result: 0 equal, 4 differences remain.")
	boolean verify;

	@Option(names = "--delete-missing",
			description = "After the copy, scan the target and delete its keys of this run's filter (--match, --type, --rename-prefix names; every database with --all-databases) that the source no longer has, each checked against the source right before it is deleted (UNLINK). Counted as 'deleted'. Keys outside the filter are never touched.")
	boolean deleteMissing;

	@Option(names = "--dry-run", description = "Scan and dump, count what would be written, write nothing.")
	boolean dryRun;

	@Option(names = "--fresh",
			description = "Start a new run even when the last one with the same source, target and filter is unfinished (it is abandoned).")
	boolean fresh;

	@Option(names = "--max-value-bytes", paramLabel = "BYTES", defaultValue = "536870912",
			description = "Skip keys whose DUMP payload is larger (reason 'too-large').")
	long maxValueBytes;

	@Option(names = "--chunk-bytes", paramLabel = "BYTES", defaultValue = "67108864",
			description = "Payload bytes a chunk keeps in memory (per partition); larger values beyond it are read and written one at a time.")
	long chunkBytes;

	@Mixin
	RunOutput output = new RunOutput();

	@Override
	public Integer call() {
		applyConfig();
		CopySettings settings = settings();
		TlsOptions.warnIfInsecure(settings.source(), this.parent.err);
		TlsOptions.warnIfInsecure(settings.target(), this.parent.err);
		Map<String, Object> repository = this.parent.repository();
		// the servers are checked while Spring starts, unless a connect timeout of the
		// user's applies (Spring reads it)
		Preflight checks = BatchRuntime.connectTimeoutConfigured(repository) ? null
				: Preflight.prepare(settings, Preflight.DEFAULT_TIMEOUT);
		if (this.verify) {
			VerifySettings verifySettings = VerifySettings.after(settings);
			return Runs.launch(this.parent, repository, (checks != null) ? checks::start : null, (context) -> {
				CopyLauncher copier = context.getBean(CopyLauncher.class);
				VerifyLauncher verifier = context.getBean(VerifyLauncher.class);
				return new Runs.Launch(() -> {
					copier.stopCurrent();
					verifier.stopCurrent();
				}, () -> {
					CopyOutcome copied = copier.copy(settings, this.fresh, checks);
					if (copied.status() != BatchStatus.COMPLETED) {
						return copied;
					}
					try {
						return copied.withVerify(verifier.verify(verifySettings, false));
					}
					catch (KeyferryException ex) {
						// say that the copy itself is done: only its verify is left
						String message = "copy execution " + copied.execution().getId()
								+ " completed, but its verify could not run: " + ex.getMessage();
						throw ex.isUsage() ? KeyferryException.usage(message, ex.getHint(), ex)
								: new KeyferryException(message, ex.getHint(), ex);
					}
				});
			}, this.output);
		}
		return Runs.run(this.parent, repository, (checks != null) ? checks::start : null,
				(launcher) -> launcher.copy(settings, this.fresh, checks), this.output);
	}

	/**
	 * Fills the options not given on the command line from the {@code --config} file.
	 */
	void applyConfig() {
		ConfigFile.apply(this.spec, this.config, "copy");
	}

	CopySettings settings() {
		ConflictPolicy policy;
		try {
			policy = ConflictPolicy.of(this.onConflict);
		}
		catch (IllegalArgumentException ex) {
			throw KeyferryException.usage("invalid --on-conflict '" + this.onConflict + "'",
					"use replace, skip or fail");
		}
		WriteMode mode;
		try {
			mode = WriteMode.of(this.writeMode);
		}
		catch (IllegalArgumentException ex) {
			throw KeyferryException.usage("invalid --write-mode '" + this.writeMode + "'",
					"use restore, types or auto");
		}
		CopySettings settings = this.scan.settings("copy", this.connection, policy, this.dryRun, this.maxValueBytes,
				this.chunkBytes, this.functions);
		if (this.allDatabases) {
			this.connection.checkAllDatabases("copy");
		}
		if (this.verify && this.dryRun) {
			throw KeyferryException.usage("--verify cannot be combined with --dry-run",
					"a dry run writes nothing to verify: leave out one of them");
		}
		return settings.withModes(this.allDatabases, mode).withDeleteMissing(this.deleteMissing);
	}

	interface LauncherCall {

		CopyOutcome apply(CopyLauncher launcher);

	}

}
