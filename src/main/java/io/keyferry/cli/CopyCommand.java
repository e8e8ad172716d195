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
import io.keyferry.redis.Backoff;
import io.keyferry.redis.ConflictPolicy;
import io.keyferry.redis.WriteMode;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.PrefixRenames;
import io.keyferry.redis.ReadFrom;
import java.nio.file.Path;
import java.util.List;
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
				"  keyferry copy --source rediss://prod:6380 --source-cacert ca.pem --source-cert client.pem --source-key client.key --target redis://staging:6379" })
public class CopyCommand implements Callable<Integer> {

	static final Set<String> TYPES = Set.of("string", "list", "set", "zset", "hash", "stream");

	@ParentCommand
	KeyferryCommand parent;

	@Spec
	CommandSpec spec;

	@Option(names = "--config", paramLabel = "FILE",
			description = "YAML file with any of these options (names without '--'); options on the command line override it. Secrets never go in it: use the *-password-file options or the environment.")
	Path config;

	@Option(names = "--source", paramLabel = "URI",
			description = "Source: redis://[user[:password]@]host:port[/db] or rediss:// for TLS; a Redis Cluster may list several seeds: redis://host1:port1,host2:port2.")
	String source;

	@Option(names = "--target", paramLabel = "URI", description = "Target, same form as --source.")
	String target;

	@Option(names = "--source-password-file", paramLabel = "FILE",
			description = "File holding the source password (e.g. a mounted secret); default: KEYFERRY_SOURCE_PASSWORD.")
	Path sourcePasswordFile;

	@Option(names = "--target-password-file", paramLabel = "FILE",
			description = "File holding the target password; default: KEYFERRY_TARGET_PASSWORD.")
	Path targetPasswordFile;

	@Mixin
	TlsOptions tls = new TlsOptions();

	@Option(names = "--match", paramLabel = "GLOB", defaultValue = "*",
			description = "Copy only keys matching GLOB (SCAN MATCH).")
	String match;

	@Option(names = "--type", paramLabel = "TYPE",
			description = "Copy only keys of TYPE (SCAN TYPE): string, list, set, zset, hash or stream.")
	String type;

	@Option(names = "--on-conflict", paramLabel = "POLICY", defaultValue = "replace",
			description = "When a key exists in the target: replace, skip (recorded with reason 'exists') or fail.")
	String onConflict;

	@Option(names = "--write-mode", paramLabel = "MODE", defaultValue = "auto",
			description = "How keys are written: restore (RESTORE of the DUMP payload only; a payload the target cannot read is skipped), types (every key with its type's commands), or auto (RESTORE, and type by type each key whose payload the target cannot read, e.g. a target older than the source).")
	String writeMode;

	@Option(names = "--functions",
			description = "Also copy the source's function libraries (Redis 7+: FUNCTION DUMP / FUNCTION RESTORE on every target master) under --on-conflict: replace overwrites a library of the same name, skip keeps the target's, fail refuses to start.")
	boolean functions;

	@Option(names = "--rename-prefix", paramLabel = "FROM=TO",
			description = "Write keys whose name starts with FROM under TO followed by the rest of the name (repeatable; the longest matching FROM wins). --match still matches the source's names. Part of the run's identity.")
	List<String> renamePrefixes;

	@Option(names = "--all-databases",
			description = "Copy every database of a standalone source that holds keys (INFO keyspace), each to the same database of the target, in one run with its own partitions and checkpoints per database. The URIs then name no /db; a Redis Cluster has database 0 only. Part of the run's identity.")
	boolean allDatabases;

	@Option(names = "--dry-run", description = "Scan and dump, count what would be written, write nothing.")
	boolean dryRun;

	@Option(names = "--fresh",
			description = "Start a new run even when the last one with the same source, target and filter is unfinished (it is abandoned).")
	boolean fresh;

	@Option(names = "--scan-count", paramLabel = "N", defaultValue = "1000", description = "SCAN COUNT hint.")
	int scanCount;

	@Option(names = "--read-from", paramLabel = "NODE", defaultValue = "master",
			description = "Which node of a Redis Cluster source each partition scans: master, or replica (a replica of the master serving its slots whose link is up, sent READONLY; the master when it has none). A replica may lag behind its master.")
	String readFrom;

	@Option(names = "--chunk-size", paramLabel = "N", defaultValue = "2000",
			description = "Keys per chunk: the cursor is committed after each chunk.")
	int chunkSize;

	@Option(names = "--threads", paramLabel = "N", defaultValue = "2",
			description = "Concurrent DUMP batches per chunk.")
	int threads;

	@Option(names = "--partitions", paramLabel = "N", defaultValue = "0",
			description = "Slices of the source's SCAN cursor space copied in parallel, each with its own checkpoint (kept when a run is resumed). 0 = auto: 4 for a source of 100,000 keys or more, else 1.")
	int partitions;

	@Option(names = "--max-value-bytes", paramLabel = "BYTES", defaultValue = "536870912",
			description = "Skip keys whose DUMP payload is larger (reason 'too-large').")
	long maxValueBytes;

	@Option(names = "--chunk-bytes", paramLabel = "BYTES", defaultValue = "67108864",
			description = "Payload bytes a chunk keeps in memory (per partition); larger values beyond it are read and written one at a time.")
	long chunkBytes;

	@Option(names = "--rate-limit", paramLabel = "KEYS/S", defaultValue = "0",
			description = "Read at most this many keys per second (0: no limit).")
	long rateLimit;

	@Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
			description = "Timeout of a Redis command batch.")
	Duration timeout;

	@Option(names = "--retries", paramLabel = "N", defaultValue = "5",
			description = "Retries of a transient failure (connection, timeout, OOM, READONLY) before the run fails.")
	int retries;

	@Option(names = "--retry-backoff", paramLabel = "DURATION", defaultValue = "200ms",
			converter = DurationConverter.class, description = "First retry delay; doubles up to 5s.")
	Duration retryBackoff;

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
		return Runs.run(this.parent, repository, (checks != null) ? checks::start : null,
				(launcher) -> launcher.copy(settings, this.fresh, checks), this.output);
	}

	/**
	 * Fills the options not given on the command line from the {@code --config} file.
	 */
	void applyConfig() {
		if (this.config == null) {
			return;
		}
		Set<String> names = new java.util.HashSet<>();
		this.spec.options().forEach((option) -> names.add(option.longestName().replaceFirst("^--", "")));
		List<String> arguments = ConfigFile.arguments(this.config, names);
		CommandLine fileLine = new CommandLine(new KeyferryCommand());
		List<String> all = new java.util.ArrayList<>();
		all.add("copy");
		all.addAll(arguments);
		CommandLine.ParseResult fileResult;
		try {
			fileResult = fileLine.parseArgs(all.toArray(String[]::new)).subcommand();
		}
		catch (CommandLine.ParameterException ex) {
			throw KeyferryException.usage("invalid config file " + this.config + ": " + ex.getMessage(),
					"option names are the long command-line options without '--'");
		}
		CommandLine.ParseResult given = this.spec.commandLine().getParseResult();
		for (OptionSpec option : this.spec.options()) {
			OptionSpec fileOption = fileResult.matchedOption(option.longestName());
			if (fileOption != null && !given.hasMatchedOption(option.longestName())) {
				option.setValue(fileOption.getValue());
			}
		}
	}

	CopySettings settings() {
		if (this.source == null || this.target == null) {
			throw KeyferryException.usage("missing " + ((this.source == null) ? "--source" : "--target"),
					"give --source URI and --target URI, on the command line or in the --config file");
		}
		if (this.allDatabases) {
			checkAllDatabases();
		}
		Endpoint sourceEndpoint = this.tls
			.apply(withSecret(Endpoint.parse("source", this.source), this.sourcePasswordFile));
		Endpoint targetEndpoint = this.tls
			.apply(withSecret(Endpoint.parse("target", this.target), this.targetPasswordFile));
		this.tls.checkShared(sourceEndpoint, targetEndpoint);
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
		String normalizedType = (this.type != null) ? this.type.toLowerCase(java.util.Locale.ROOT) : null;
		if (normalizedType != null && !TYPES.contains(normalizedType)) {
			throw KeyferryException.usage("invalid --type '" + this.type + "'",
					"use one of string, list, set, zset, hash, stream");
		}
		ReadFrom from;
		try {
			from = ReadFrom.of(this.readFrom);
		}
		catch (IllegalArgumentException ex) {
			throw KeyferryException.usage("invalid --read-from '" + this.readFrom + "'", "use master or replica");
		}
		positive("--scan-count", this.scanCount);
		positive("--chunk-size", this.chunkSize);
		positive("--threads", this.threads);
		if (this.partitions < 0) {
			throw KeyferryException.usage("--partitions must not be negative", "use 0 (auto) or more");
		}
		positive("--max-value-bytes", this.maxValueBytes);
		positive("--chunk-bytes", this.chunkBytes);
		if (this.rateLimit < 0 || this.retries < 0) {
			throw KeyferryException.usage("--rate-limit and --retries must not be negative", "use 0 or more");
		}
		if (this.timeout.isZero() || this.retryBackoff.isZero()) {
			throw KeyferryException.usage("--timeout and --retry-backoff must be longer than 0", "e.g. --timeout 10s");
		}
		if (this.match == null || this.match.isEmpty()) {
			throw KeyferryException.usage("--match must not be empty", "use '*' for every key");
		}
		return new CopySettings(sourceEndpoint, targetEndpoint, this.match, normalizedType, this.dryRun, 0, policy,
				this.scanCount, this.chunkSize, this.threads, this.partitions, this.maxValueBytes, this.chunkBytes,
				this.rateLimit, this.timeout, new Backoff(this.retries, this.retryBackoff, Backoff.DEFAULT.max()), from,
				this.functions, renames(), this.allDatabases, mode);
	}

	/**
	 * Refuses {@code --all-databases} with a URI that names a database or lists several
	 * hosts (a Redis Cluster, which has database 0 only); whether a single host is a
	 * cluster is checked when the servers are.
	 */
	private void checkAllDatabases() {
		for (String role : List.of("source", "target")) {
			String uri = "source".equals(role) ? this.source : this.target;
			if (Endpoint.namesDatabase(uri)) {
				throw KeyferryException.usage(
						"--all-databases copies every database, and --" + role + " names one ("
								+ Endpoint.parse(role, uri).redacted() + ")",
						"remove the /db from --" + role + ", or leave out --all-databases to copy that database alone");
			}
			if (!Endpoint.parse(role, uri).moreSeeds().isEmpty()) {
				throw KeyferryException.usage(
						"--all-databases needs standalone servers, and --" + role
								+ " lists several hosts (a Redis Cluster, which has database 0 only)",
						"leave out --all-databases to copy the cluster's keys");
			}
		}
	}

	private PrefixRenames renames() {
		try {
			return PrefixRenames.parse(this.renamePrefixes);
		}
		catch (IllegalArgumentException ex) {
			throw KeyferryException.usage("invalid --rename-prefix: " + ex.getMessage(),
					"use --rename-prefix FROM=TO with a non-empty FROM, e.g. --rename-prefix app:=v2:app: (repeatable)");
		}
	}

	private static Endpoint withSecret(Endpoint endpoint, Path passwordFile) {
		if (passwordFile != null && !endpoint.hasPassword()) {
			String password = ConfigFile.readSecret(passwordFile, endpoint.role() + " password");
			// the file holds the data nodes' password; a Sentinel's comes from its
			// variable
			return endpoint.withPasswordFrom(
					(variable) -> variable.equals(endpoint.passwordVariable()) ? password : System.getenv(variable));
		}
		return endpoint.withPasswordFrom(System::getenv);
	}

	private static void positive(String option, long value) {
		if (value < 1) {
			throw KeyferryException.usage(option + " must be at least 1, not " + value, "see 'keyferry copy --help'");
		}
	}

	interface LauncherCall {

		CopyOutcome apply(CopyLauncher launcher);

	}

}
