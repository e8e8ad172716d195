package io.keyferry.run;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.Supplier;

import io.keyferry.KeyferryException;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.FunctionLibraries;
import io.keyferry.redis.RedisConnector;
import io.keyferry.redis.ServerInfo;
import io.keyferry.job.CopySettings;
import io.keyferry.job.SourceLayout;
import io.keyferry.job.RunMonitor;
import io.keyferry.job.JobNames;
import io.keyferry.job.CopyJobFactory;
import io.keyferry.job.EndpointCredentials;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Starts, resumes and stops copy runs. A run is one job instance, identified by source,
 * target, filter and run number; its executions share the checkpoint. Before anything is
 * written it checks both servers (reachable, authenticated, permitted, compatible
 * versions). Every start or resume holds the copy's {@link RunLease} from before it reads
 * the run's state until the execution ends, so two processes never start or run the same
 * copy: the second is refused with the holder named. An execution left running by a
 * process that is gone (the lease says so) is recovered first; one whose process is alive
 * is never touched. An execution that fails because the job repository's connection was
 * lost (see {@link RepositoryOutage}) is resumed by the same command, a few times at
 * most, once the repository answers again. Not thread-safe: one launch at a time per
 * process.
 */
public class CopyLauncher {

	/**
	 * With {@code --partitions 0}, sources with at least this many keys get 4 partitions.
	 */
	static final long AUTO_PARTITION_KEYS = 100_000;

	/**
	 * How many times one command resumes its run after the job repository's connection
	 * was lost.
	 */
	static final int REPOSITORY_RESUMES = 3;

	/**
	 * How long to wait for the job repository to answer again after a lost connection.
	 */
	static final Duration REPOSITORY_PATIENCE = Duration.ofMinutes(2);

	private final JobOperator jobOperator;

	private final JobRepository jobRepository;

	private final CopyJobFactory jobFactory;

	private final RunOwners owners;

	private final RunLease lease;

	private final EndpointCredentials credentials;

	private final RedisConnector connector;

	private final RunMonitor monitor;

	private final JdbcTemplate jdbc;

	private final RunLookup lookup;

	private final RunRecovery recovery;

	/**
	 * Whether the command may start again from reading the repository at any point (not
	 * {@code --fresh}, which abandons the last run before it starts the next).
	 */
	private boolean rereadable;

	/** Whether the current attempt got as far as starting an execution. */
	private boolean launched;

	public CopyLauncher(JobOperator jobOperator, JobRepository jobRepository, CopyJobFactory jobFactory,
			RunOwners owners, RunLease lease, EndpointCredentials credentials, RedisConnector connector,
			RunMonitor monitor, JdbcTemplate jdbc) {
		this.jobOperator = jobOperator;
		this.jobRepository = jobRepository;
		this.jobFactory = jobFactory;
		this.owners = owners;
		this.lease = lease;
		// a lost lease fails the next chunk's commit (LeaseFence)
		lease.setListeners(monitor::warn, () -> {
		});
		this.credentials = credentials;
		this.connector = connector;
		this.monitor = monitor;
		this.jdbc = jdbc;
		this.lookup = new RunLookup(jobRepository, jdbc);
		this.recovery = new RunRecovery(jobOperator, jobRepository, owners, monitor, this.lookup);
	}

	/**
	 * Runs {@code keyferry copy}: resumes the last run with the same source, target and
	 * filter when it is unfinished (unless {@code fresh}), otherwise starts the next run.
	 * @param requested the settings given (run number ignored)
	 * @param fresh start a new run even if the last one is unfinished
	 * @return the outcome
	 */
	public CopyOutcome copy(CopySettings requested, boolean fresh) {
		return copy(requested, fresh, null);
	}

	/**
	 * Runs {@code keyferry copy} with the pre-flight checks already started.
	 * @param requested the settings given (run number ignored)
	 * @param fresh start a new run even if the last one is unfinished
	 * @param checks the checks of {@code requested}, started early, or {@code null} to
	 * run them now
	 * @return the outcome
	 */
	public CopyOutcome copy(CopySettings requested, boolean fresh, Preflight checks) {
		this.credentials.register(requested.source());
		this.credentials.register(requested.target());
		long sourceKeys = (checks != null) ? checks.join() : preflight(requested);
		refuseEmptyMirror(requested, sourceKeys);
		RunLease.Holder previous = acquire(requested.copyKey(), requested);
		try {
			this.rereadable = !fresh;
			return throughLostConnections(requested.copyKey(),
					() -> copyHolding(requested, fresh, sourceKeys, previous),
					() -> copyHolding(requested, false, sourceKeys, null));
		}
		finally {
			this.lease.release();
		}
	}

	/**
	 * Runs an attempt; when the execution it started failed because the job repository's
	 * connection was lost, waits until the repository answers, recovers the execution if
	 * it was left running and resumes the run (at most {@link #REPOSITORY_RESUMES}
	 * times). A failure before an execution started, or during a stop, ends the command
	 * as it is.
	 * @param copyKey the copy, under whose lease this runs
	 * @param first the first attempt
	 * @param again an attempt to resume the run
	 * @return the outcome of the last attempt
	 */
	private CopyOutcome throughLostConnections(String copyKey, Supplier<CopyOutcome> first,
			Supplier<CopyOutcome> again) {
		Supplier<CopyOutcome> attempt = first;
		for (int resumes = 0;; resumes++) {
			this.launched = false;
			Throwable loss;
			try {
				CopyOutcome outcome = attempt.get();
				loss = (outcome.status() == BatchStatus.FAILED) ? RepositoryOutage.find(outcome.failures()) : null;
				if (loss == null || !resumable(resumes)) {
					return outcome;
				}
			}
			catch (RuntimeException ex) {
				if (!RepositoryOutage.isConnectionLoss(ex) || !resumable(resumes)) {
					throw ex;
				}
				loss = ex;
			}
			this.monitor.warn("the job repository's connection was lost (" + rootMessage(loss)
					+ "): resuming the run from its last checkpoint once the repository answers");
			RepositoryOutage.awaitAnswer(this.jdbc, REPOSITORY_PATIENCE);
			this.recovery.recoverInterrupted(copyKey);
			attempt = again;
		}
	}

	private boolean resumable(int resumes) {
		return (this.launched || this.rereadable) && resumes < REPOSITORY_RESUMES && !this.monitor.isStopRequested();
	}

	private static String rootMessage(Throwable failure) {
		Throwable root = failure;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		String message = (root.getMessage() != null) ? root.getMessage() : root.getClass().getSimpleName();
		return message.lines().findFirst().orElse(message);
	}

	private CopyOutcome copyHolding(CopySettings requested, boolean fresh, long sourceKeys, RunLease.Holder previous) {
		JobExecution last = this.lookup.findLast(requested.copyKey());
		if (last == null) {
			return launch(withPartitions(requested, sourceKeys).withRun(1), null, sourceKeys);
		}
		last = this.recovery.settle(last, previous);
		long run = last.getJobParameters().getLong(JobNames.RUN, 0L);
		if (isResumable(last.getStatus())) {
			if (!fresh) {
				CopySettings stored = CopySettings.fromJobParameters(last.getJobParameters());
				// the partitions of a run are fixed: their names hold the checkpoints
				return launch(requested.withRun(run).withPartitions(stored.partitions()), last, sourceKeys);
			}
			try {
				this.jobOperator.abandon(last);
			}
			catch (Exception ex) {
				throw new KeyferryException("could not abandon run " + last.getJobInstanceId() + ": " + ex.getMessage(),
						"try again", ex);
			}
			this.monitor.info("abandoned unfinished run " + last.getJobInstanceId() + " (execution " + last.getId()
					+ ", " + last.getStatus() + ") because of --fresh");
		}
		return launch(withPartitions(requested, sourceKeys).withRun(run + 1), null, sourceKeys);
	}

	/**
	 * Resolves {@code --partitions 0} (auto) for a new run: slices pay off on a large
	 * keyspace; on a small one a single SCAN page can span several slices, so their keys
	 * would be read twice.
	 */
	static CopySettings withPartitions(CopySettings settings, long sourceKeys) {
		if (settings.partitions() > 0) {
			return settings;
		}
		return settings.withPartitions((sourceKeys >= AUTO_PARTITION_KEYS) ? 4 : 1);
	}

	/**
	 * Runs {@code keyferry resume}: resumes the given execution's run, or the latest
	 * unfinished one, with its stored settings.
	 * @param executionId the execution, or {@code null} for the latest unfinished run
	 * @param source the source URI given again (for its password), or {@code null}
	 * @param target the target URI given again, or {@code null}
	 * @return the outcome
	 */
	public CopyOutcome resume(Long executionId, Endpoint source, Endpoint target) {
		return resume(executionId, source, target, CopyLauncher::storedTls);
	}

	/**
	 * Resumes a run with TLS settings given again.
	 * @param executionId the execution, or {@code null} for the latest unfinished run
	 * @param source the source URI given again (for its password), or {@code null}
	 * @param target the target URI given again, or {@code null}
	 * @param tls sets (and checks) the TLS settings of an endpoint that carries the run's
	 * stored ones: file paths, never key material
	 * @return the outcome
	 */
	public CopyOutcome resume(Long executionId, Endpoint source, Endpoint target,
			java.util.function.UnaryOperator<Endpoint> tls) {
		return resume(resumable(executionId), source, target, tls);
	}

	/**
	 * The execution {@code keyferry resume} is about: the given one, or the last of the
	 * latest unfinished run, copy or verify.
	 * @param executionId the execution, or {@code null} for the latest unfinished run
	 * @return the execution
	 * @throws KeyferryException (usage) when there is none
	 */
	public JobExecution resumable(Long executionId) {
		JobExecution execution = (executionId != null) ? this.lookup.execution(executionId)
				: this.lookup.latestUnfinished();
		if (execution == null) {
			throw (executionId != null)
					? KeyferryException.usage("no execution " + executionId + " in the job repository",
							"list the runs with keyferry history")
					: KeyferryException.usage("there is no unfinished run to resume",
							"start one with keyferry copy --source URI --target URI");
		}
		return execution;
	}

	/**
	 * Resumes the run of an execution of the copy job with TLS settings given again.
	 * @param execution an execution of the run ({@link #resumable(Long)})
	 * @param source the source URI given again (for its password), or {@code null}
	 * @param target the target URI given again, or {@code null}
	 * @param tls sets (and checks) the TLS settings of an endpoint that carries the run's
	 * stored ones
	 * @return the outcome
	 */
	public CopyOutcome resume(JobExecution execution, Endpoint source, Endpoint target,
			java.util.function.UnaryOperator<Endpoint> tls) {
		if (!JobNames.JOB.equals(execution.getJobInstance().getJobName())) {
			throw new IllegalArgumentException("execution " + execution.getId() + " is not a copy's");
		}
		CopySettings run = CopySettings.fromJobParameters(execution.getJobParameters());
		RunLease.Holder previous = acquire(run.copyKey(), run);
		try {
			this.rereadable = true;
			return throughLostConnections(run.copyKey(), () -> resumeHolding(execution, source, target, tls, previous),
					() -> resumeHolding(execution, source, target, tls, null));
		}
		finally {
			this.lease.release();
		}
	}

	private CopyOutcome resumeHolding(JobExecution execution, Endpoint source, Endpoint target,
			java.util.function.UnaryOperator<Endpoint> tls, RunLease.Holder previous) {
		// read again under the lease: another process may have run it meanwhile
		JobExecution last = this.jobRepository.getLastJobExecution(execution.getJobInstance());
		if (last == null) {
			last = execution;
		}
		if (last.getStatus() == BatchStatus.COMPLETED || last.getStatus() == BatchStatus.ABANDONED) {
			throw KeyferryException.usage(
					"run " + last.getJobInstanceId() + " is " + last.getStatus().name().toLowerCase() + " (execution "
							+ last.getId() + "): nothing to resume",
					"keyferry copy with the same options starts the next run");
		}
		last = this.recovery.settle(last, previous);
		CopySettings stored = CopySettings.fromJobParameters(last.getJobParameters());
		Endpoint resolvedSource = tls.apply(checkSame(stored.source(), source));
		Endpoint resolvedTarget = tls.apply(checkSame(stored.target(), target));
		this.credentials.register(resolvedSource);
		this.credentials.register(resolvedTarget);
		CopySettings settings = stored.withEndpoints(this.credentials.resolve(resolvedSource),
				this.credentials.resolve(resolvedTarget));
		long sourceKeys = preflight(settings);
		refuseEmptyMirror(settings, sourceKeys);
		return launch(settings, last, sourceKeys);
	}

	/**
	 * The run's stored TLS settings, checked (a file gone since is a usage error before
	 * any connection).
	 */
	private static Endpoint storedTls(Endpoint endpoint) {
		return endpoint.withTls(endpoint.tlsSettings().validate(endpoint.role(), endpoint.tls()));
	}

	static Endpoint checkSame(Endpoint stored, Endpoint given) {
		if (given == null) {
			return stored;
		}
		if (!given.redacted().equals(stored.redacted())) {
			throw KeyferryException.usage(
					"--" + stored.role() + " " + given.redacted() + " is not this run's " + stored.role() + " "
							+ stored.redacted(),
					"give the same URI the run was started with, or none (the password may come from "
							+ stored.passwordVariable() + ")");
		}
		return given.withTls(stored.tlsSettings());
	}

	/**
	 * Requests a stop of a running execution (copy or verify); it stops at its next chunk
	 * boundary, checkpoint saved.
	 * @param executionId the execution, or {@code null} for the latest running one
	 * @return the execution asked to stop
	 */
	public JobExecution stop(Long executionId) {
		JobExecution execution;
		if (executionId != null) {
			execution = this.lookup.execution(executionId);
			if (execution == null) {
				throw KeyferryException.usage("no execution " + executionId + " in the job repository",
						"list the runs with keyferry history");
			}
		}
		else {
			java.util.List<JobExecution> running = new java.util.ArrayList<>(
					this.jobRepository.findRunningJobExecutions(JobNames.JOB));
			running.addAll(this.jobRepository.findRunningJobExecutions(JobNames.VERIFY_JOB));
			execution = running.stream()
				.max((a, b) -> Long.compare(a.getId(), b.getId()))
				.orElseThrow(() -> KeyferryException.usage("no copy or verify is running", "nothing to stop"));
		}
		if (!execution.isRunning() || execution.getStatus() == BatchStatus.STOPPING) {
			if (execution.getStatus() == BatchStatus.STOPPING) {
				return execution;
			}
			throw KeyferryException.usage(
					"execution " + execution.getId() + " is not running (status " + execution.getStatus() + ")",
					"nothing to stop");
		}
		if (this.owners.livingOwner(execution).isEmpty()) {
			throw KeyferryException.usage(
					"execution " + execution.getId() + " is marked running but its process is gone",
					"keyferry resume " + execution.getId() + " recovers and resumes it");
		}
		try {
			this.jobOperator.stop(execution);
		}
		catch (Exception ex) {
			throw new KeyferryException("could not stop execution " + execution.getId() + ": " + ex.getMessage(),
					"try again", ex);
		}
		return execution;
	}

	/**
	 * Asks the execution running in this process to stop (SIGTERM, Ctrl-C).
	 */
	public void stopCurrent() {
		this.monitor.requestStop();
		JobExecution current = this.monitor.currentExecution();
		if (current != null && current.isRunning() && !current.isStopping()) {
			try {
				this.jobOperator.stop(current);
			}
			catch (Exception ex) {
				// the stop flag alone ends the run at the next chunk boundary
			}
		}
	}

	private CopyOutcome launch(CopySettings settings, JobExecution resumed, long sourceKeys) {
		if (this.monitor.isStopRequested()) {
			throw new KeyferryException("stopped before the run started", "nothing was written");
		}
		if (resumed != null) {
			this.monitor
				.info(String.format("resuming run %d (#%d) from execution %d (%s), %s", resumed.getJobInstanceId(),
						settings.run(), resumed.getId(), resumed.getStatus(), checkpoint(resumed)));
		}
		else {
			this.monitor.info("starting run #" + settings.run() + ": " + settings.source().redacted() + " -> "
					+ settings.target().redacted() + (settings.allDatabases() ? ", all databases" : "")
					+ (settings.dryRun() ? " (dry run)" : ""));
		}
		// from here on the run is being started: after a lost connection it is resumed
		// (or its run created again) by reading the repository again
		this.launched = true;
		this.monitor.reset();
		this.monitor.setSourceKeys(sourceKeys);
		if (resumed == null) {
			this.recovery.removeRunWithoutExecution(settings);
		}
		copyFunctions(settings);
		java.util.SortedMap<Integer, Long> otherDatabases = otherDatabases(settings);
		JobExecution execution;
		try {
			execution = this.jobOperator.start(this.jobFactory.create(settings, otherDatabases),
					settings.toJobParameters());
		}
		catch (Exception ex) {
			throw new KeyferryException(
					"could not start the run: " + ((ex.getMessage() != null) ? ex.getMessage() : ex.toString()),
					"check the job repository; see the log in $KEYFERRY_HOME/logs", ex);
		}
		finally {
			this.monitor.setCurrentExecution(null);
		}
		List<Throwable> failures = failures(execution);
		JobExecution stored = this.jobRepository.getJobExecution(execution.getId());
		return new CopyOutcome((stored != null) ? stored : execution, failures);
	}

	/**
	 * Copies the function libraries before the execution's partitions start, at every
	 * execution of the run: the copy is idempotent (a library the target has with the
	 * same code is left alone), so a resume copies again only what a target that lost
	 * data is missing, and keys written by FCALL-driven applications never precede their
	 * functions. Without {@code --functions}, says which libraries the source has.
	 */
	private void copyFunctions(CopySettings settings) {
		if (!settings.functions()) {
			java.util.Set<String> names = FunctionLibraries.sourceNames(this.connector, settings.source());
			if (!names.isEmpty()) {
				this.monitor.warn("the source has " + names.size() + " function librar"
						+ ((names.size() == 1) ? "y" : "ies") + " (" + String.join(", ", names)
						+ ") that this run does not copy: add --functions to copy them");
			}
			return;
		}
		if (settings.dryRun()) {
			this.monitor.info("function libraries: not copied (dry run)");
			return;
		}
		this.monitor
			.info(FunctionLibraries.copy(this.connector, settings.source(), settings.target(), settings.onConflict())
				.describe());
	}

	/**
	 * The databases of a standalone source, besides the one copied, that hold keys now
	 * ({@code INFO keyspace}); said now and in the run's summary, since nothing else
	 * would. None for an {@code --all-databases} run, nor for a cluster (database 0
	 * only).
	 */
	private java.util.SortedMap<Integer, Long> otherDatabases(CopySettings settings) {
		if (settings.allDatabases()) {
			return new java.util.TreeMap<>();
		}
		java.util.SortedMap<Integer, Long> databases = this.connector.keyspace(settings.source());
		databases.remove(settings.source().database());
		if (!databases.isEmpty()) {
			this.monitor.warn("the source has keys in databases that this run does not copy: "
					+ ServerInfo.describeKeyspace(databases)
					+ "; copy them with --all-databases, or one at a time with /db in both URIs");
		}
		return databases;
	}

	/**
	 * The failures of an execution, the partitions' first: they hold the cause; the
	 * partitioned step and the job only say that a partition failed ("Partition handler
	 * returned an unsuccessful step").
	 * @param execution the execution, with its step executions
	 * @return every failure once
	 */
	static List<Throwable> failures(JobExecution execution) {
		List<Throwable> failures = new ArrayList<>();
		for (StepExecution step : execution.getStepExecutions()) {
			if (JobNames.isPartitionStep(step.getStepName())) {
				failures.addAll(step.getFailureExceptions());
			}
		}
		for (Throwable failure : execution.getAllFailureExceptions()) {
			if (!failures.contains(failure)) {
				failures.add(failure);
			}
		}
		return failures;
	}

	private String checkpoint(JobExecution execution) {
		OptionalDouble scanned = SourceLayout.scanned(execution.getStepExecutions());
		if (scanned.isEmpty()) {
			return "before its first checkpoint";
		}
		return String.format("checkpoint at %.1f%% of the keyspace scanned", scanned.getAsDouble() * 100);
	}

	/**
	 * Acquires the copy's lease or refuses with its living holder named.
	 * @return the gone holder it was taken over from, or {@code null}
	 */
	private RunLease.Holder acquire(String copyKey, CopySettings settings) {
		RunLease.Attempt attempt = this.lease.acquire(copyKey);
		if (attempt.acquired()) {
			return attempt.holder();
		}
		RunLease.Holder holder = attempt.holder();
		JobExecution running = (holder != null && holder.executionId() != null)
				? this.lookup.execution(holder.executionId()) : null;
		String who = (holder != null) ? holder.describe() : "another process";
		if (running != null) {
			throw new KeyferryException(
					"run " + running.getJobInstanceId() + " is being copied right now by " + who + " (execution "
							+ running.getId() + ")",
					"wait for it to finish, or stop it with: keyferry stop " + running.getId());
		}
		throw new KeyferryException(
				settings.source().redacted() + " -> " + settings.target().redacted() + " (match " + settings.match()
						+ ") is being copied right now by " + who,
				"wait for it to finish, or stop it with: keyferry stop");
	}

	private static boolean isResumable(BatchStatus status) {
		return status == BatchStatus.FAILED || status == BatchStatus.STOPPED;
	}

	/**
	 * Refuses {@code --delete-missing} when the source holds no keys at all: that is
	 * nearly always a source restarted without persistence, or the wrong server or
	 * database, and mirroring it would empty the target, the copy that was meant to
	 * survive such an accident. Nothing is written; a dry run only reports.
	 * @param settings the run's settings
	 * @param sourceKeys the source's key count (every database or master copied)
	 */
	private static void refuseEmptyMirror(CopySettings settings, long sourceKeys) {
		if (settings.deleteMissing() && !settings.dryRun()) {
			refuseEmptySource(settings, sourceKeys, "--delete-missing",
					"to empty the target on purpose, delete its keys there yourself");
		}
	}

	/**
	 * Refuses an option that deletes the target's keys the source lacks when the source
	 * holds no keys at all (see {@link #refuseEmptyMirror}).
	 * @param settings the run's settings
	 * @param sourceKeys the source's key count (every database or master)
	 * @param option the deleting option
	 * @param instead the hint's way out
	 */
	static void refuseEmptySource(CopySettings settings, long sourceKeys, String option, String instead) {
		if (sourceKeys == 0) {
			throw new KeyferryException(
					"the source " + settings.source().redacted() + " holds no keys: " + option
							+ " would delete every key of the filter from the target " + settings.target().redacted()
							+ "; nothing was written",
					"check that --source names the right server and database (a source restarted without persistence comes back empty); "
							+ instead);
		}
	}

	/**
	 * Checks both servers before anything is written (see {@link Preflight}).
	 * @param settings the run's settings with credentials
	 * @return the source's key count
	 */
	public long preflight(CopySettings settings) {
		return Preflight.check(this.connector, settings);
	}

}
