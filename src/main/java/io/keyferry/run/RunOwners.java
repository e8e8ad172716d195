package io.keyferry.run;

import io.keyferry.job.CopySettings;
import io.keyferry.job.TestHalt;
import io.keyferry.job.JobNames;
import io.keyferry.repository.RepositorySchema;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;

import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Records which process ran each execution (host, pid, process start, and its last
 * heartbeat on that host's clock, for the history), and tells whether the process running
 * an unfinished execution is still alive. Liveness is the copy's {@link RunLease}: the
 * execution's owner is alive while it holds the lease of the execution's copy (an owner
 * row is not needed, so a process killed before it wrote one is recognised as gone at
 * once). Registers itself as a job listener: the row is written before the first chunk.
 * Thread-safe.
 */
public class RunOwners implements JobExecutionListener {

	/** How often a running process refreshes its heartbeat. */
	static final Duration HEARTBEAT = RunLease.HEARTBEAT;

	private final JdbcTemplate jdbc;

	private final RunLease lease;

	public RunOwners(JdbcTemplate jdbc, RunLease lease) {
		this.jdbc = jdbc;
		this.lease = lease;
	}

	/**
	 * The process that runs (or ran) an execution.
	 *
	 * @param executionId the job execution
	 * @param host the host name
	 * @param pid the process id
	 * @param processStart when the process started (epoch ms)
	 * @param heartbeat the last heartbeat (epoch ms on this host's clock)
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
		RunLease.Identity self = this.lease.self();
		this.jdbc.update("DELETE FROM " + RepositorySchema.OWNER_TABLE + " WHERE JOB_EXECUTION_ID = ?", id);
		this.jdbc.update(
				"INSERT INTO " + RepositorySchema.OWNER_TABLE
						+ " (JOB_EXECUTION_ID, HOST, PID, PROCESS_START, HEARTBEAT) VALUES (?, ?, ?, ?, ?)",
				id, self.host(), self.pid(), self.processStart(), System.currentTimeMillis());
		this.lease.attach(id);
	}

	@Override
	public void afterJob(JobExecution jobExecution) {
		this.jdbc.update("UPDATE " + RepositorySchema.OWNER_TABLE + " SET HEARTBEAT = ? WHERE JOB_EXECUTION_ID = ?",
				System.currentTimeMillis(), jobExecution.getId());
	}

	/**
	 * The recorded owner of an execution, alive or not.
	 * @param executionId the execution
	 * @return the owner, or empty when none was recorded
	 */
	public Optional<Owner> find(long executionId) {
		List<Owner> owners = this.jdbc.query(
				"SELECT JOB_EXECUTION_ID, HOST, PID, PROCESS_START, HEARTBEAT FROM " + RepositorySchema.OWNER_TABLE
						+ " WHERE JOB_EXECUTION_ID = ?",
				(rs, row) -> new Owner(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)),
				executionId);
		return owners.stream().findFirst();
	}

	/**
	 * Whether the process that runs an unfinished execution is still alive: the living
	 * holder of its copy's lease, unless that holder runs another execution. (A holder
	 * without an execution yet is starting or recovering this one.)
	 * @param execution an execution whose status says it is (or may be) running
	 * @return the living owner, or empty when the owner is gone
	 */
	public Optional<Owner> livingOwner(JobExecution execution) {
		String copyKey = execution.getJobParameters().getString(JobNames.COPY_KEY);
		if (copyKey == null) {
			// stored by an older keyferry: the key follows from the identifying
			// parameters
			copyKey = CopySettings.fromJobParameters(execution.getJobParameters()).copyKey();
		}
		return this.lease.livingHolder(copyKey)
			.filter((holder) -> holder.executionId() == null || holder.executionId() == execution.getId())
			.map((holder) -> new Owner(execution.getId(), holder.identity().host(), holder.identity().pid(),
					holder.identity().processStart(), System.currentTimeMillis() - holder.age().toMillis()));
	}

	/**
	 * An owner's heartbeat as a local date-time, as Spring Batch records times.
	 * @param epochMillis the heartbeat
	 * @return the local date-time
	 */
	public static LocalDateTime localTime(long epochMillis) {
		return LocalDateTime.ofInstant(Instant.ofEpochMilli(epochMillis), ZoneId.systemDefault());
	}

	/**
	 * Whether an execution's recorded owner is a living process on this host other than
	 * this one: a keyferry without leases (an older version) may still run it.
	 * @param execution the execution
	 * @return the living owner, or empty
	 */
	public Optional<Owner> livingUnleasedOwner(JobExecution execution) {
		RunLease.Identity self = this.lease.self();
		return find(execution.getId()).filter((owner) -> owner.host().equals(self.host()) && owner.pid() != self.pid())
			.filter((owner) -> new RunLease.Identity(owner.host(), self.pidNamespace(), owner.pid(),
					owner.processStart())
				.aliveSeenFrom(self));
	}

}
