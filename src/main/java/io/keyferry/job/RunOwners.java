package io.keyferry.job;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Records which process owns a running execution (host, pid, process start, heartbeat) so
 * that an execution left STARTED by a killed process can be told apart from one that is
 * still running, before it is recovered. Registers itself as a job listener: the row is
 * written before the first chunk and its heartbeat refreshed every few seconds.
 * Thread-safe.
 */
public class RunOwners implements JobExecutionListener, AutoCloseable {

	/** How often a running process refreshes its heartbeat. */
	static final Duration HEARTBEAT = Duration.ofSeconds(5);

	/** An owner on another host whose heartbeat is older than this is considered gone. */
	static final Duration STALE = Duration.ofSeconds(30);

	private final JdbcTemplate jdbc;

	private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor((r) -> {
		Thread thread = new Thread(r, "keyferry-heartbeat");
		thread.setDaemon(true);
		return thread;
	});

	private volatile ScheduledFuture<?> heartbeat;

	public RunOwners(JdbcTemplate jdbc) {
		this.jdbc = jdbc;
	}

	/**
	 * The process that runs (or ran) an execution.
	 *
	 * @param executionId the job execution
	 * @param host the host name
	 * @param pid the process id
	 * @param processStart when the process started (epoch ms)
	 * @param heartbeat the last heartbeat (epoch ms)
	 */
	public record Owner(long executionId, String host, long pid, long processStart, long heartbeat) {

		public String describe() {
			long age = Math.max(0, System.currentTimeMillis() - this.heartbeat) / 1000;
			return "pid " + this.pid + " on " + this.host + " (last heartbeat " + age + " s ago)";
		}

	}

	@Override
	public void beforeJob(JobExecution jobExecution) {
		TestHalt.at("before-owner");
		long id = jobExecution.getId();
		this.jdbc.update("DELETE FROM " + JobNames.OWNER_TABLE + " WHERE JOB_EXECUTION_ID = ?", id);
		this.jdbc.update(
				"INSERT INTO " + JobNames.OWNER_TABLE
						+ " (JOB_EXECUTION_ID, HOST, PID, PROCESS_START, HEARTBEAT) VALUES (?, ?, ?, ?, ?)",
				id, hostName(), ProcessHandle.current().pid(), processStart(ProcessHandle.current()),
				System.currentTimeMillis());
		this.heartbeat = this.scheduler.scheduleWithFixedDelay(() -> beat(id), HEARTBEAT.toMillis(),
				HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
	}

	@Override
	public void afterJob(JobExecution jobExecution) {
		ScheduledFuture<?> current = this.heartbeat;
		if (current != null) {
			current.cancel(false);
		}
		beat(jobExecution.getId());
	}

	private void beat(long id) {
		try {
			this.jdbc.update("UPDATE " + JobNames.OWNER_TABLE + " SET HEARTBEAT = ? WHERE JOB_EXECUTION_ID = ?",
					System.currentTimeMillis(), id);
		}
		catch (RuntimeException ex) {
			// a missed heartbeat is harmless; the next one retries
		}
	}

	public Optional<Owner> find(long executionId) {
		List<Owner> owners = this.jdbc.query(
				"SELECT JOB_EXECUTION_ID, HOST, PID, PROCESS_START, HEARTBEAT FROM " + JobNames.OWNER_TABLE
						+ " WHERE JOB_EXECUTION_ID = ?",
				(rs, row) -> new Owner(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)),
				executionId);
		return owners.stream().findFirst();
	}

	/**
	 * Whether the process that runs an unfinished execution is still alive. On this host
	 * the pid and its start time decide; on another host, the heartbeat's age.
	 * @param execution an execution whose status says it is running
	 * @return the living owner, or empty when the owner is gone
	 */
	public Optional<Owner> livingOwner(JobExecution execution) {
		Optional<Owner> found = find(execution.getId());
		if (found.isEmpty()) {
			// the owner row is written right after the execution starts: give a starting
			// process time
			LocalDateTime created = execution.getCreateTime();
			boolean young = created != null && created.isAfter(LocalDateTime.now().minus(STALE));
			return young ? Optional.of(new Owner(execution.getId(), "unknown host", -1, 0, System.currentTimeMillis()))
					: Optional.empty();
		}
		Owner owner = found.get();
		if (owner.host().equals(hostName())) {
			Optional<ProcessHandle> process = ProcessHandle.of(owner.pid());
			if (process.isEmpty() || !process.get().isAlive()) {
				return Optional.empty();
			}
			long start = processStart(process.get());
			boolean sameProcess = start == 0 || owner.processStart() == 0
					|| Math.abs(start - owner.processStart()) < 2000;
			return sameProcess ? found : Optional.empty();
		}
		boolean fresh = System.currentTimeMillis() - owner.heartbeat() < STALE.toMillis();
		return fresh ? found : Optional.empty();
	}

	static String hostName() {
		try {
			return InetAddress.getLocalHost().getHostName();
		}
		catch (UnknownHostException ex) {
			return "localhost";
		}
	}

	static long processStart(ProcessHandle process) {
		return process.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
	}

	@Override
	public void close() {
		this.scheduler.shutdownNow();
	}

}
