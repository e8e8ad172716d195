package io.keyferry.run;

import io.keyferry.KeyferryException;
import io.keyferry.job.CopySettings;
import io.keyferry.job.EndpointCredentials;
import io.keyferry.job.JobNames;
import io.keyferry.job.RunMonitor;
import io.keyferry.job.VerifyJobFactory;
import io.keyferry.job.VerifySettings;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.RedisConnector;
import io.keyferry.redis.WriteMode;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Starts and resumes verify runs, with the copy's machinery: the pre-flight checks, a
 * {@link RunLease} on the verify key held from before the run's state is read until the
 * execution ends, recovery of an execution left running by a process that is gone, and
 * resumption of the last run when it failed or was stopped (its checkpoints kept). Not
 * thread-safe: one launch at a time per process.
 */
public class VerifyLauncher {

	private final JobOperator jobOperator;

	private final JobRepository jobRepository;

	private final VerifyJobFactory jobFactory;

	private final RunLease lease;

	private final EndpointCredentials credentials;

	private final RedisConnector connector;

	private final RunMonitor monitor;

	private final RunLookup lookup;

	private final RunRecovery recovery;

	public VerifyLauncher(JobOperator jobOperator, JobRepository jobRepository, VerifyJobFactory jobFactory,
			RunOwners owners, RunLease lease, EndpointCredentials credentials, RedisConnector connector,
			RunMonitor monitor, JdbcTemplate jdbc) {
		this.jobOperator = jobOperator;
		this.jobRepository = jobRepository;
		this.jobFactory = jobFactory;
		this.lease = lease;
		this.credentials = credentials;
		this.connector = connector;
		this.monitor = monitor;
		this.lookup = new RunLookup(jobRepository, jdbc);
		this.recovery = new RunRecovery(jobOperator, jobRepository, owners, monitor, this.lookup);
	}

	/**
	 * Runs {@code keyferry verify}: resumes the last run with the same source, target and
	 * filter when it is unfinished (unless {@code fresh}), otherwise starts the next run.
	 * @param requested the settings given (run number ignored)
	 * @param fresh start a new run even if the last one is unfinished
	 * @return the outcome
	 */
	public CopyOutcome verify(VerifySettings requested, boolean fresh) {
		this.credentials.register(requested.copy().source());
		this.credentials.register(requested.copy().target());
		long sourceKeys = preflight(requested.copy(), requested.fix());
		refuseEmptyMirror(requested, sourceKeys);
		String key = requested.verifyKey();
		RunLease.Attempt attempt = this.lease.acquire(key);
		if (!attempt.acquired()) {
			String who = (attempt.holder() != null) ? attempt.holder().describe() : "another process";
			throw new KeyferryException(
					requested.copy().source().redacted() + " -> " + requested.copy().target().redacted()
							+ " is being verified right now by " + who,
					"wait for it to finish, or stop it with: keyferry stop");
		}
		try {
			return verifyHolding(requested, fresh, sourceKeys, attempt.holder());
		}
		finally {
			this.lease.release();
		}
	}

	private CopyOutcome verifyHolding(VerifySettings requested, boolean fresh, long sourceKeys,
			RunLease.Holder previous) {
		JobExecution last = this.lookup.findLast(requested.verifyKey());
		if (last == null) {
			return launch(withPartitions(requested, 1), null, sourceKeys);
		}
		last = this.recovery.settle(last, previous);
		long run = last.getJobParameters().getLong(JobNames.RUN, 0L);
		if (last.getStatus() == BatchStatus.FAILED || last.getStatus() == BatchStatus.STOPPED) {
			if (!fresh) {
				CopySettings stored = CopySettings.fromJobParameters(last.getJobParameters());
				return launch(requested.withCopy(requested.copy().withRun(run).withPartitions(stored.partitions())),
						last, sourceKeys);
			}
			try {
				this.jobOperator.abandon(last);
			}
			catch (Exception ex) {
				throw new KeyferryException(
						"could not abandon verify run " + last.getJobInstanceId() + ": " + ex.getMessage(), "try again",
						ex);
			}
			this.monitor.info("abandoned unfinished verify run " + last.getJobInstanceId() + " because of --fresh");
		}
		return launch(withPartitions(requested, run + 1), null, sourceKeys);
	}

	/**
	 * Runs {@code keyferry resume} for a verify run: resumes the run of the given
	 * execution with its stored settings, from its checkpoints.
	 * @param execution an execution of the run
	 * @param source the source URI given again (for its password), or {@code null}
	 * @param target the target URI given again, or {@code null}
	 * @param tls sets (and checks) the TLS settings of an endpoint that carries the run's
	 * stored ones
	 * @return the outcome
	 */
	public CopyOutcome resume(JobExecution execution, Endpoint source, Endpoint target,
			java.util.function.UnaryOperator<Endpoint> tls) {
		VerifySettings stored = VerifySettings.fromJobParameters(execution.getJobParameters());
		Endpoint resolvedSource = tls.apply(CopyLauncher.checkSame(stored.copy().source(), source));
		Endpoint resolvedTarget = tls.apply(CopyLauncher.checkSame(stored.copy().target(), target));
		this.credentials.register(resolvedSource);
		this.credentials.register(resolvedTarget);
		VerifySettings settings = stored.withCopy(stored.copy()
			.withEndpoints(this.credentials.resolve(resolvedSource), this.credentials.resolve(resolvedTarget)));
		long sourceKeys = preflight(settings.copy(), settings.fix());
		refuseEmptyMirror(settings, sourceKeys);
		// the key the run was leased and found by (the verify key, stored as its copy
		// key)
		String key = execution.getJobParameters().getString(JobNames.COPY_KEY, settings.verifyKey());
		RunLease.Attempt attempt = this.lease.acquire(key);
		if (!attempt.acquired()) {
			String who = (attempt.holder() != null) ? attempt.holder().describe() : "another process";
			throw new KeyferryException(
					"verify run " + execution.getJobInstanceId() + " is running right now in " + who,
					"wait for it to finish, or stop it with: keyferry stop");
		}
		try {
			// read again under the lease: another process may have run it meanwhile
			JobExecution last = this.jobRepository.getLastJobExecution(execution.getJobInstance());
			if (last == null) {
				last = execution;
			}
			if (last.getStatus() == BatchStatus.COMPLETED || last.getStatus() == BatchStatus.ABANDONED) {
				throw KeyferryException.usage(
						"verify run " + last.getJobInstanceId() + " is " + last.getStatus().name().toLowerCase()
								+ " (execution " + last.getId() + "): nothing to resume",
						"keyferry verify with the same options starts the next run");
			}
			last = this.recovery.settle(last, attempt.holder());
			return launch(settings, last, sourceKeys);
		}
		finally {
			this.lease.release();
		}
	}

	/**
	 * Resolves {@code --partitions 0} (auto) to one partition per node for a verify: the
	 * last SCAN page of a cursor slice reaches into the next slice, whose keys would be
	 * compared, counted and recorded as differences twice (measured: 944 of 300,000 keys
	 * counted twice with 4 slices).
	 */
	private static VerifySettings withPartitions(VerifySettings settings, long run) {
		CopySettings copy = settings.copy();
		return settings.withCopy(((copy.partitions() > 0) ? copy : copy.withPartitions(1)).withRun(run));
	}

	private CopyOutcome launch(VerifySettings settings, JobExecution resumed, long sourceKeys) {
		if (this.monitor.isStopRequested()) {
			throw new KeyferryException("stopped before the run started", "nothing was compared");
		}
		CopySettings copy = settings.copy();
		if (resumed != null) {
			this.monitor.info(String.format("resuming run %d (#%d, verify) from execution %d (%s)",
					resumed.getJobInstanceId(), copy.run(), resumed.getId(), resumed.getStatus()));
		}
		else {
			this.monitor.info("starting run #" + copy.run() + " (verify): " + copy.source().redacted() + " -> "
					+ copy.target().redacted() + (copy.allDatabases() ? ", all databases" : ""));
		}
		this.monitor.reset();
		this.monitor.setSourceKeys(sourceKeys);
		if (resumed == null) {
			this.recovery.removeRunWithoutExecution(JobNames.VERIFY_JOB, settings.toJobParameters(), copy.run());
		}
		JobExecution execution;
		try {
			execution = this.jobOperator.start(this.jobFactory.create(settings), settings.toJobParameters());
		}
		catch (Exception ex) {
			throw new KeyferryException(
					"could not start the verify run: " + ((ex.getMessage() != null) ? ex.getMessage() : ex.toString()),
					"check the job repository; see the log in $KEYFERRY_HOME/logs", ex);
		}
		finally {
			this.monitor.setCurrentExecution(null);
		}
		JobExecution stored = this.jobRepository.getJobExecution(execution.getId());
		return new CopyOutcome((stored != null) ? stored : execution, CopyLauncher.failures(execution));
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

	/**
	 * Refuses {@code --delete-extra} when the source holds no keys at all, as copy
	 * refuses {@code --delete-missing} (see {@link CopyLauncher#refuseEmptySource}):
	 * every key of the filter in the target would be extra.
	 */
	private static void refuseEmptyMirror(VerifySettings settings, long sourceKeys) {
		if (settings.fix() && settings.deleteExtra()) {
			CopyLauncher.refuseEmptySource(settings.copy(), sourceKeys, "--delete-extra",
					"leave out --delete-extra to report the extra keys only");
		}
	}

	/**
	 * Checks both servers before the run starts, as a dry-run copy would (a verify writes
	 * nothing), or for {@code --fix} as a copy under replace would (its writes).
	 */
	private long preflight(CopySettings copy, boolean fix) {
		// every database of an --all-databases run is selected as a copy's partitions
		// select them
		CopySettings readOnly = new CopySettings(copy.source(), copy.target(), copy.match(), copy.type(), !fix,
				copy.run(), copy.onConflict(), copy.scanCount(), copy.chunkSize(), copy.threads(), copy.partitions(),
				copy.maxValueBytes(), copy.chunkBytes(), copy.rateLimit(), copy.timeout(), copy.backoff(),
				copy.readFrom(), false, copy.renames(), copy.allDatabases(), WriteMode.AUTO);
		return Preflight.check(this.connector, readOnly);
	}

}
