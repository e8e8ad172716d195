package io.keyferry.run;

import io.keyferry.repository.RepositorySchema;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.dao.ConcurrencyFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The lease a process holds on a copy (its copy key: source, target and filter) while it
 * starts, resumes or runs one of the copy's runs, kept in the job repository
 * ({@value JobNames#LEASE_TABLE}). It is acquired before any job instance or execution is
 * created: an {@code INSERT} for a copy nobody holds, or a compare-and-set {@code UPDATE}
 * that takes it over from a holder that is gone, so two processes (on one host or on
 * several sharing the repository) never run the same copy. A holder on this host is gone
 * when its pid is not alive or belongs to a newer process; a holder elsewhere when its
 * heartbeat is older than {@link #STALE} by the database's clock (heartbeats write
 * {@code CURRENT_TIMESTAMP}; no host's clock is compared with another's). A heartbeat
 * refreshes the lease every {@link #HEARTBEAT}, warns when it cannot, and reports when
 * another process has taken the lease; the lease is deleted when released. Thread-safe;
 * holds one lease at a time.
 */
public class RunLease implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(RunLease.class);

	/** How often the holder refreshes its heartbeat. */
	static final Duration HEARTBEAT = Duration.ofSeconds(5);

	/**
	 * A holder on another host without a heartbeat for this long (by the database's
	 * clock) is considered gone.
	 */
	public static final Duration STALE = Duration.ofSeconds(30);

	private static final String COLUMNS = "COPY_KEY, TOKEN, HOST, PID_NAMESPACE, PID, PROCESS_START, JOB_EXECUTION_ID, BEATS, HEARTBEAT, CURRENT_TIMESTAMP";

	private final JdbcTemplate jdbc;

	private final Identity self;

	private final Duration heartbeatEvery;

	private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor((r) -> {
		Thread thread = new Thread(r, "keyferry-heartbeat");
		thread.setDaemon(true);
		return thread;
	});

	private volatile Consumer<String> warnings = (message) -> {
	};

	private volatile Runnable onLost = () -> {
	};

	private volatile Held held;

	/**
	 * A lease for this process.
	 * @param jdbc the job repository
	 */
	public RunLease(JdbcTemplate jdbc) {
		this(jdbc, Identity.current(), HEARTBEAT);
	}

	RunLease(JdbcTemplate jdbc, Identity self, Duration heartbeatEvery) {
		this.jdbc = jdbc;
		this.self = self;
		this.heartbeatEvery = heartbeatEvery;
	}

	/**
	 * A process as the lease records it.
	 *
	 * @param host the host name
	 * @param pidNamespace the pid namespace (containers sharing a host name have their
	 * own), empty when unknown
	 * @param pid the process id
	 * @param processStart when the process started (epoch ms), 0 when unknown
	 */
	public record Identity(String host, String pidNamespace, long pid, long processStart) {

		/**
		 * This process.
		 * @return its identity
		 */
		public static Identity current() {
			ProcessHandle process = ProcessHandle.current();
			return new Identity(hostName(), RunLease.pidNamespace(), process.pid(), RunLease.processStart(process));
		}

		/**
		 * Whether a process recorded with this identity is alive, judged on this host.
		 * @param here this host's identity
		 * @return {@code true} when it is alive (or cannot be judged here)
		 */
		boolean aliveSeenFrom(Identity here) {
			Optional<ProcessHandle> process = ProcessHandle.of(this.pid);
			if (process.isEmpty() || !process.get().isAlive()) {
				return false;
			}
			long start = RunLease.processStart(process.get());
			return start == 0 || this.processStart == 0 || Math.abs(start - this.processStart) < 2000;
		}

		boolean sameHost(Identity other) {
			return this.host.equals(other.host) && this.pidNamespace.equals(other.pidNamespace);
		}

	}

	/**
	 * The process holding a copy's lease, as read from the repository.
	 *
	 * @param copyKey the copy
	 * @param token the holder's lease token
	 * @param identity the holder
	 * @param executionId the execution it runs, or {@code null} before it has one
	 * @param beats its heartbeats so far (the compare-and-set's version)
	 * @param age how old its last heartbeat is, by the database's clock
	 */
	public record Holder(String copyKey, String token, Identity identity, Long executionId, long beats, Duration age) {

		/**
		 * Says who the holder is, e.g. {@code pid 42 on web-1 (last heartbeat 3 s ago)}.
		 * @return the description
		 */
		public String describe() {
			return "pid " + this.identity.pid() + " on " + this.identity.host() + " (last heartbeat "
					+ Math.max(0, this.age.toSeconds()) + " s ago)";
		}

	}

	/**
	 * The result of {@link #acquire}.
	 *
	 * @param acquired whether this process now holds the lease
	 * @param holder when refused, the living holder; when acquired, the gone holder it
	 * was taken over from, or {@code null}
	 */
	public record Attempt(boolean acquired, Holder holder) {
	}

	private record Held(String copyKey, String token, Long executionId, ScheduledFuture<?> heartbeat) {

		Held withExecution(long executionId) {
			return new Held(this.copyKey, this.token, executionId, this.heartbeat);
		}

	}

	/**
	 * Where warnings go (missed heartbeats, a lost lease).
	 * @param warnings the warning printer
	 * @param onLost what to do when another process has taken the lease over
	 */
	public void setListeners(Consumer<String> warnings, Runnable onLost) {
		this.warnings = warnings;
		this.onLost = onLost;
	}

	/**
	 * Acquires a copy's lease, taking it over from a holder that is gone.
	 * @param copyKey the copy
	 * @return whether it was acquired, and from or by whom
	 */
	public synchronized Attempt acquire(String copyKey) {
		if (this.held != null) {
			throw new IllegalStateException("already holding the lease of " + this.held.copyKey());
		}
		String token = UUID.randomUUID().toString();
		for (int attempt = 0; attempt < 5; attempt++) {
			if (insert(copyKey, token)) {
				return new Attempt(hold(copyKey, token), null);
			}
			Optional<Holder> found = holder(copyKey);
			if (found.isEmpty()) {
				// released in between: try to insert again
				continue;
			}
			Holder holder = found.get();
			if (isAlive(holder)) {
				return new Attempt(false, holder);
			}
			if (takeOver(holder, token)) {
				return new Attempt(hold(copyKey, token), holder);
			}
			// another process took it over, or the holder beat: judge again
		}
		Optional<Holder> holder = holder(copyKey);
		return new Attempt(false, holder.orElse(null));
	}

	private boolean insert(String copyKey, String token) {
		try {
			this.jdbc.update("INSERT INTO " + RepositorySchema.LEASE_TABLE
					+ " (COPY_KEY, TOKEN, HOST, PID_NAMESPACE, PID, PROCESS_START, JOB_EXECUTION_ID, BEATS, ACQUIRED, HEARTBEAT)"
					+ " VALUES (?, ?, ?, ?, ?, ?, NULL, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", copyKey, token,
					this.self.host(), this.self.pidNamespace(), this.self.pid(), this.self.processStart());
			return true;
		}
		catch (DataIntegrityViolationException | ConcurrencyFailureException ex) {
			return false;
		}
	}

	/**
	 * The compare-and-set: succeeds only if the row is still the one judged gone (same
	 * token, no heartbeat since).
	 */
	private boolean takeOver(Holder gone, String token) {
		try {
			return this.jdbc.update("UPDATE " + RepositorySchema.LEASE_TABLE
					+ " SET TOKEN = ?, HOST = ?, PID_NAMESPACE = ?, PID = ?, PROCESS_START = ?, JOB_EXECUTION_ID = NULL,"
					+ " BEATS = 0, ACQUIRED = CURRENT_TIMESTAMP, HEARTBEAT = CURRENT_TIMESTAMP"
					+ " WHERE COPY_KEY = ? AND TOKEN = ? AND BEATS = ?", token, this.self.host(),
					this.self.pidNamespace(), this.self.pid(), this.self.processStart(), gone.copyKey(), gone.token(),
					gone.beats()) == 1;
		}
		catch (ConcurrencyFailureException ex) {
			return false;
		}
	}

	private boolean hold(String copyKey, String token) {
		ScheduledFuture<?> heartbeat = this.scheduler.scheduleWithFixedDelay(this::beat, this.heartbeatEvery.toMillis(),
				this.heartbeatEvery.toMillis(), TimeUnit.MILLISECONDS);
		this.held = new Held(copyKey, token, null, heartbeat);
		return true;
	}

	/**
	 * Whether a holder is alive: on this host its process decides, elsewhere its
	 * heartbeat's age by the database's clock.
	 * @param holder the holder
	 * @return whether it is alive
	 */
	public boolean isAlive(Holder holder) {
		if (holder.identity().sameHost(this.self)) {
			return holder.identity().aliveSeenFrom(this.self);
		}
		return holder.age().compareTo(STALE) < 0;
	}

	/**
	 * The holder of a copy's lease, alive or not.
	 * @param copyKey the copy
	 * @return the holder, or empty when nobody holds it
	 */
	public Optional<Holder> holder(String copyKey) {
		List<Holder> holders = this.jdbc
			.query("SELECT " + COLUMNS + " FROM " + RepositorySchema.LEASE_TABLE + " WHERE COPY_KEY = ?", (rs, row) -> {
				long execution = rs.getLong(7);
				Long executionId = rs.wasNull() ? null : execution;
				OffsetDateTime heartbeat = rs.getObject(9, OffsetDateTime.class);
				OffsetDateTime now = rs.getObject(10, OffsetDateTime.class);
				return new Holder(rs.getString(1), rs.getString(2),
						new Identity(rs.getString(3), rs.getString(4), rs.getLong(5), rs.getLong(6)), executionId,
						rs.getLong(8), Duration.between(heartbeat, now));
			}, copyKey);
		return holders.stream().findFirst();
	}

	/**
	 * The living holder of a copy's lease.
	 * @param copyKey the copy
	 * @return the holder, or empty when nobody alive holds it
	 */
	public Optional<Holder> livingHolder(String copyKey) {
		return holder(copyKey).filter(this::isAlive);
	}

	/**
	 * Whether this process holds a copy's lease.
	 * @param copyKey the copy
	 * @return whether it holds it
	 */
	public boolean holds(String copyKey) {
		Held current = this.held;
		return current != null && current.copyKey().equals(copyKey);
	}

	/**
	 * Records the execution this process runs under its lease (no-op without a lease).
	 * @param executionId the execution
	 */
	public synchronized void attach(long executionId) {
		Held current = this.held;
		if (current == null) {
			return;
		}
		this.held = current.withExecution(executionId);
		this.jdbc.update(
				"UPDATE " + RepositorySchema.LEASE_TABLE + " SET JOB_EXECUTION_ID = ? WHERE COPY_KEY = ? AND TOKEN = ?",
				executionId, current.copyKey(), current.token());
	}

	private volatile boolean failing;

	/**
	 * Refreshes the lease (and the execution's owner row, on this host's clock, for the
	 * history); warns when it cannot, and reports when the lease was taken over.
	 */
	void beat() {
		Held current = this.held;
		if (current == null) {
			return;
		}
		try {
			int updated = this.jdbc.update(
					"UPDATE " + RepositorySchema.LEASE_TABLE
							+ " SET HEARTBEAT = CURRENT_TIMESTAMP, BEATS = BEATS + 1 WHERE COPY_KEY = ? AND TOKEN = ?",
					current.copyKey(), current.token());
			if (current.executionId() != null) {
				this.jdbc.update(
						"UPDATE " + RepositorySchema.OWNER_TABLE + " SET HEARTBEAT = ? WHERE JOB_EXECUTION_ID = ?",
						System.currentTimeMillis(), current.executionId());
			}
			if (this.failing) {
				this.failing = false;
				logger.info("heartbeat recorded again");
				this.warnings.accept("the heartbeat is recorded in the job repository again");
			}
			if (updated == 0 && this.held == current) {
				current.heartbeat().cancel(false);
				String message = "another process took this run over (this process's heartbeat was missing for "
						+ STALE.toSeconds() + " s): this process commits nothing more";
				logger.warn(message);
				this.warnings.accept(message);
				this.onLost.run();
			}
		}
		catch (RuntimeException ex) {
			if (!this.failing) {
				this.failing = true;
				String message = "could not record this process's heartbeat in the job repository (" + rootMessage(ex)
						+ "); another process may take the run over after " + STALE.toSeconds() + " s without one";
				logger.warn(message, ex);
				this.warnings.accept(message);
			}
		}
	}

	/**
	 * Checks, in the caller's transaction, that this process still holds a copy's lease,
	 * and refreshes it: a chunk is committed only under the lease.
	 * @return whether the lease is still held (always {@code true} without one)
	 */
	public boolean confirm() {
		Held current = this.held;
		if (current == null) {
			return true;
		}
		return this.jdbc.update(
				"UPDATE " + RepositorySchema.LEASE_TABLE
						+ " SET HEARTBEAT = CURRENT_TIMESTAMP, BEATS = BEATS + 1 WHERE COPY_KEY = ? AND TOKEN = ?",
				current.copyKey(), current.token()) == 1;
	}

	/**
	 * Releases the lease held, if any (deletes it, unless another process took it over).
	 */
	public synchronized void release() {
		Held current = this.held;
		if (current == null) {
			return;
		}
		this.held = null;
		current.heartbeat().cancel(false);
		try {
			this.jdbc.update("DELETE FROM " + RepositorySchema.LEASE_TABLE + " WHERE COPY_KEY = ? AND TOKEN = ?",
					current.copyKey(), current.token());
		}
		catch (RuntimeException ex) {
			// the lease then looks abandoned: this process is gone by the time it is read
			logger.warn("could not release the lease of copy " + current.copyKey(), ex);
		}
	}

	/**
	 * Identity of this process, for messages.
	 * @return the identity
	 */
	public Identity self() {
		return this.self;
	}

	@Override
	public void close() {
		release();
		this.scheduler.shutdownNow();
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

	private static String pidNamespace() {
		try {
			return Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
		}
		catch (IOException | UnsupportedOperationException | SecurityException ex) {
			return "";
		}
	}

	private static String rootMessage(Throwable failure) {
		Throwable t = failure;
		while (t.getCause() != null && t.getCause() != t) {
			t = t.getCause();
		}
		return String.valueOf(t.getMessage()).lines().findFirst().orElse("");
	}

}
