package io.keyferry.job;

import java.util.function.Function;
import java.util.function.UnaryOperator;

import io.keyferry.job.item.DumpBatch;
import io.keyferry.job.item.DumpProcessor;
import io.keyferry.job.item.KeyBatch;
import io.keyferry.job.item.RestoreWriter;
import io.keyferry.job.item.ScanKeyReader;
import io.keyferry.redis.RedisConnector;
import io.keyferry.redis.ServerInfo;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.job.builder.SimpleJobBuilder;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * Builds the copy job for one run: a partitioned step whose partitions each run a Batch 6
 * chunk-oriented step ({@code chunk(n)} with a task executor: serial read and write on
 * the partition's thread, concurrent DUMP batches) committing the cursor, the counts and
 * the skip records in the job repository's transaction. Built per run so that chunk size
 * and threads come from the run's settings; the job has no incrementer, so the same
 * identifying parameters restart an unfinished run.
 */
public class CopyJobFactory {

	private final JobRepository jobRepository;

	private final PlatformTransactionManager transactionManager;

	private final ScanKeyReader reader;

	private final DumpProcessor processor;

	private final RestoreWriter writer;

	private final JobExecutionListener runOwners;

	private final LeaseFence fence;

	private final RunMonitor monitor;

	private final Function<CopySettings, SourceLayout> layouts;

	private final RedisConnector connector;

	private final UnaryOperator<CopySettings> credentials;

	/**
	 * Creates the factory.
	 * @param jobRepository the job repository
	 * @param transactionManager the repository's transaction manager
	 * @param reader the partitions' reader (step-scoped)
	 * @param processor the partitions' processor (step-scoped)
	 * @param writer the partitions' writer (step-scoped)
	 * @param runOwners records each execution's owner
	 * @param fence fails a chunk's commit when the run's lease is lost
	 * @param monitor the run's stop requests, warnings and progress
	 * @param layouts the partitions of a run's source
	 * @param connector opens the connections of the steps outside the partitions
	 * @param credentials gives a run's endpoints their credentials
	 */
	public CopyJobFactory(JobRepository jobRepository, PlatformTransactionManager transactionManager,
			ScanKeyReader reader, DumpProcessor processor, RestoreWriter writer, JobExecutionListener runOwners,
			LeaseFence fence, RunMonitor monitor, Function<CopySettings, SourceLayout> layouts,
			RedisConnector connector, UnaryOperator<CopySettings> credentials) {
		this.connector = connector;
		this.credentials = credentials;
		this.monitor = monitor;
		this.fence = fence;
		this.layouts = layouts;
		this.jobRepository = jobRepository;
		this.transactionManager = transactionManager;
		this.reader = reader;
		this.processor = processor;
		this.writer = writer;
		this.runOwners = runOwners;
	}

	/**
	 * Builds the job.
	 * @param settings the run's settings
	 * @return the job; its executors shut down when it ends
	 */
	public Job create(CopySettings settings) {
		return create(settings, new java.util.TreeMap<>());
	}

	/**
	 * Builds the job, recording in each execution's context which other databases of the
	 * source hold keys (for the run's summary).
	 * @param settings the run's settings
	 * @param otherDatabases the databases of the source this run leaves out, with their
	 * key counts
	 * @return the job; its executors shut down when it ends
	 */
	public Job create(CopySettings settings, java.util.SortedMap<Integer, Long> otherDatabases) {
		PartitionedScan scan = PartitionedScan.build(
				new PartitionedScan.Parts<KeyBatch, DumpBatch>(JobNames.STEP, JobNames.PARTITION_STEP, "keyferry-dump-",
						this.reader, this.processor, this.writer),
				this.layouts.apply(settings), PartitionedScan.Shape.of(settings), this.jobRepository,
				this.transactionManager, this.fence, this.monitor);
		SimpleJobBuilder job = new JobBuilder(JobNames.JOB, this.jobRepository).start(scan.step());
		if (settings.deleteMissing()) {
			DeleteMissingScan delete = new DeleteMissingScan(this.credentials.apply(settings), this.connector,
					this.monitor);
			// after the copy's scan: a key the source still has was written first
			job.next(new StepBuilder(JobNames.DELETE_STEP, this.jobRepository).tasklet(delete, this.transactionManager)
				.stream(this.fence)
				.listener(delete)
				.build());
		}
		return job
			// called once the run's job instance exists, before its execution is created
			.validator((parameters) -> TestHalt.at("before-execution"))
			.listener(this.runOwners)
			.listener(new JobExecutionListener() {
				@Override
				public void beforeJob(JobExecution jobExecution) {
					CopyJobFactory.this.monitor.setCurrentExecution(jobExecution);
					// saved now: a failed or killed execution's summary says it too
					if (otherDatabases.isEmpty()) {
						jobExecution.getExecutionContext().remove(JobNames.OTHER_DATABASES);
					}
					else {
						jobExecution.getExecutionContext()
							.putString(JobNames.OTHER_DATABASES, ServerInfo.formatKeyspace(otherDatabases));
					}
					CopyJobFactory.this.jobRepository.updateExecutionContext(jobExecution);
				}

				@Override
				public void afterJob(JobExecution jobExecution) {
					scan.processing().shutdown();
				}
			})
			.build();
	}

}
