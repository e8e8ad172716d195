package io.keyferry.run;

import java.time.LocalDateTime;
import java.util.Optional;

import io.keyferry.KeyferryException;
import io.keyferry.job.CopySettings;
import io.keyferry.job.JobNames;
import io.keyferry.job.RunMonitor;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;

/**
 * Puts a copy's repository state right before an execution starts, under the copy's
 * lease: an execution left running by a process that is gone, or by this process when the
 * repository's connection was lost, is marked failed; a run created by a process killed
 * before its first execution is removed. Not thread-safe: used by one launch at a time.
 */
final class RunRecovery {

	private final JobOperator jobOperator;

	private final JobRepository jobRepository;

	private final RunOwners owners;

	private final RunMonitor monitor;

	private final RunLookup lookup;

	RunRecovery(JobOperator jobOperator, JobRepository jobRepository, RunOwners owners, RunMonitor monitor,
			RunLookup lookup) {
		this.jobOperator = jobOperator;
		this.jobRepository = jobRepository;
		this.owners = owners;
		this.monitor = monitor;
		this.lookup = lookup;
	}

	/**
	 * Recovers an execution left running by a process that is gone. Called under the
	 * copy's lease, so its owner is gone unless a keyferry without leases (an older
	 * version) on this host still runs it. An execution counts as left running when its
	 * status says so or when a partition does (a process aborted while stopping leaves
	 * the job STOPPED and partitions STARTED). Its end is set to its owner's last
	 * heartbeat.
	 * @param previous the gone holder of the lease, or {@code null}
	 */
	JobExecution settle(JobExecution execution, RunLease.Holder previous) {
		BatchStatus status = execution.getStatus();
		if (status == BatchStatus.UNKNOWN) {
			throw new KeyferryException(
					"execution " + execution.getId() + " is in an unknown state: its outcome was not recorded",
					"check the target, then start a new run with --fresh");
		}
		boolean partitionsRunning = execution.getStepExecutions()
			.stream()
			.anyMatch((step) -> step.getStatus().isRunning());
		if (!status.isRunning() && !partitionsRunning) {
			return execution;
		}
		Optional<RunOwners.Owner> legacy = this.owners.livingUnleasedOwner(execution);
		if (legacy.isPresent()) {
			throw new KeyferryException(
					"run " + execution.getJobInstanceId() + " is being copied right now by " + legacy.get().describe()
							+ " (execution " + execution.getId() + ")",
					"wait for it to finish, or stop it with: keyferry stop " + execution.getId());
		}
		Optional<RunOwners.Owner> recorded = this.owners.find(execution.getId());
		String who = recorded.map((o) -> "pid " + o.pid() + " on " + o.host())
			.or(() -> Optional.ofNullable(previous)
				.filter((p) -> p.executionId() == null || p.executionId() == execution.getId())
				.map((p) -> "pid " + p.identity().pid() + " on " + p.identity().host()))
			.orElse("a process");
		String state = status.isRunning() ? status.name() : status.name() + " with partitions still running";
		this.monitor.info("execution " + execution.getId() + " was left " + state + " by " + who
				+ ", which is gone: recovering it");
		this.jobOperator.recover(execution);
		JobExecution recovered = this.jobRepository.getJobExecution(execution.getId());
		recorded.ifPresent((owner) -> endAtLastHeartbeat(recovered, owner));
		return recovered;
	}

	/**
	 * Sets a recovered execution's end to its owner's last heartbeat (both on the owner's
	 * clock), not to the time it was recovered.
	 */
	private void endAtLastHeartbeat(JobExecution execution, RunOwners.Owner owner) {
		LocalDateTime lastBeat = RunOwners.localTime(owner.heartbeat());
		LocalDateTime start = execution.getStartTime();
		if (start != null && lastBeat.isBefore(start)) {
			lastBeat = start;
		}
		if (execution.getEndTime() != null && lastBeat.isBefore(execution.getEndTime())) {
			execution.setEndTime(lastBeat);
			this.jobRepository.update(execution);
		}
	}

	/**
	 * Marks this process's execution failed when the lost connection left it running in
	 * the repository (its end could not be recorded). It no longer runs: its launch has
	 * returned.
	 */
	void recoverInterrupted(String copyKey) {
		JobExecution last = this.lookup.findLast(copyKey);
		if (last == null) {
			return;
		}
		boolean running = last.getStatus().isRunning()
				|| last.getStepExecutions().stream().anyMatch((step) -> step.getStatus().isRunning());
		if (running) {
			this.monitor.info("execution " + last.getId() + " could not record its end: recovering it");
			this.jobOperator.recover(last);
		}
	}

	/**
	 * Removes the job instance of a new run when a process created it and was killed
	 * before its first execution: Spring Batch would refuse to start it ("Cannot find any
	 * job execution"). Nothing was copied by it; the lease guarantees nobody is creating
	 * it right now.
	 */
	void removeRunWithoutExecution(CopySettings settings) {
		removeRunWithoutExecution(JobNames.JOB, settings.toJobParameters(), settings.run());
	}

	/**
	 * Removes the job instance of a new run of a job that has no execution (see
	 * {@link #removeRunWithoutExecution(CopySettings)}).
	 * @param jobName the job
	 * @param parameters the run's parameters
	 * @param run the run's number
	 */
	void removeRunWithoutExecution(String jobName,
			org.springframework.batch.core.job.parameters.JobParameters parameters, long run) {
		JobInstance instance = this.jobRepository.getJobInstance(jobName, parameters);
		if (instance != null && this.jobRepository.getJobExecutions(instance).isEmpty()) {
			this.monitor.info("run " + instance.getInstanceId() + " (#" + run
					+ ") was created by a process that was killed before it copied anything: starting it again");
			this.jobRepository.deleteJobInstance(instance);
		}
	}

}
