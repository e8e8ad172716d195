package io.keyferry.run;

import java.util.List;

import io.keyferry.job.JobNames;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Finds the executions a command is about: by id, the last of a copy, the latest
 * unfinished one. Stateless; thread-safe.
 */
final class RunLookup {

	private final JobRepository jobRepository;

	private final JdbcTemplate jdbc;

	RunLookup(JobRepository jobRepository, JdbcTemplate jdbc) {
		this.jobRepository = jobRepository;
		this.jdbc = jdbc;
	}

	/**
	 * An execution by id, or {@code null} (Batch 6.0.4 throws for an unknown id).
	 */
	JobExecution execution(long id) {
		try {
			return this.jobRepository.getJobExecution(id);
		}
		catch (org.springframework.dao.EmptyResultDataAccessException ex) {
			return null;
		}
	}

	/**
	 * The last execution of a copy's latest run.
	 * @param copyKey the copy
	 * @return the execution, or {@code null} when the copy never ran
	 */
	JobExecution findLast(String copyKey) {
		List<Long> ids = this.jdbc.queryForList(
				"SELECT MAX(P.JOB_EXECUTION_ID) FROM BATCH_JOB_EXECUTION_PARAMS P WHERE P.PARAMETER_NAME = ? AND P.PARAMETER_VALUE = ?",
				Long.class, JobNames.COPY_KEY, copyKey);
		if (ids.isEmpty() || ids.get(0) == null) {
			return null;
		}
		JobExecution execution = this.jobRepository.getJobExecution(ids.get(0));
		if (execution == null) {
			return null;
		}
		JobExecution last = this.jobRepository.getLastJobExecution(execution.getJobInstance());
		return (last != null) ? last : execution;
	}

	/**
	 * The last execution of the latest run, copy or verify, that is neither completed nor
	 * abandoned.
	 * @return the execution, or {@code null}
	 */
	JobExecution latestUnfinished() {
		JobExecution latest = null;
		for (String job : List.of(JobNames.JOB, JobNames.VERIFY_JOB)) {
			JobExecution last = latestUnfinished(job);
			if (last != null && (latest == null || last.getId() > latest.getId())) {
				latest = last;
			}
		}
		return latest;
	}

	private JobExecution latestUnfinished(String job) {
		for (JobInstance instance : this.jobRepository.getJobInstances(job, 0, 200)) {
			JobExecution last = this.jobRepository.getLastJobExecution(instance);
			if (last != null && last.getStatus() != BatchStatus.COMPLETED
					&& last.getStatus() != BatchStatus.ABANDONED) {
				return last;
			}
		}
		return null;
	}

}
