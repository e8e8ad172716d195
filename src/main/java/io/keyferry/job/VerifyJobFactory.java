package io.keyferry.job;

import java.util.function.Function;

import io.keyferry.job.item.DifferenceWriter;
import io.keyferry.job.item.KeyBatch;
import io.keyferry.job.item.ScanKeyReader;
import io.keyferry.job.item.VerdictBatch;
import io.keyferry.job.item.VerifyProcessor;
import io.keyferry.redis.RedisConnector;
import io.keyferry.repository.Differences;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInterruptedException;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.job.builder.SimpleJobBuilder;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.batch.core.partition.support.TaskExecutorPartitionHandler;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * Builds the verify job for one run: the copy's partitioned scan of the source (same
 * reader, checkpoints, partitions and rescans on a changed process), whose partitions
 * compare each batch of keys with the target and record the keys that differ; with
 * {@code --extra} a scan of the target for keys the source lacks; then the later passes
 * over the keys that differed ({@link VerifyPasses}); with {@code --fix} the fix of the
 * keys that still differ ({@link VerifyFix}). No incrementer: the same identifying
 * parameters restart an unfinished run.
 */
public class VerifyJobFactory {

	private final JobRepository jobRepository;

	private final PlatformTransactionManager transactionManager;

	private final ScanKeyReader reader;

	private final VerifyProcessor processor;

	private final DifferenceWriter writer;

	private final JobExecutionListener runOwners;

	private final LeaseFence fence;

	private final RunMonitor monitor;

	private final Function<CopySettings, SourceLayout> layouts;

	private final RedisConnector connector;

	private final Differences differences;

	private final EndpointCredentials credentials;

	public VerifyJobFactory(JobRepository jobRepository, PlatformTransactionManager transactionManager,
			ScanKeyReader reader, VerifyProcessor processor, DifferenceWriter writer, JobExecutionListener runOwners,
			LeaseFence fence, RunMonitor monitor, Function<CopySettings, SourceLayout> layouts,
			RedisConnector connector, Differences differences, EndpointCredentials credentials) {
		this.jobRepository = jobRepository;
		this.transactionManager = transactionManager;
		this.reader = reader;
		this.processor = processor;
		this.writer = writer;
		this.runOwners = runOwners;
		this.fence = fence;
		this.monitor = monitor;
		this.layouts = layouts;
		this.connector = connector;
		this.differences = differences;
		this.credentials = credentials;
	}

	private void checkStop(StepExecution stepExecution) throws JobInterruptedException {
		if (this.monitor.isStopRequested() || stepExecution.isTerminateOnly()
				|| Thread.currentThread().isInterrupted()) {
			stepExecution.setTerminateOnly();
			throw new JobInterruptedException("stop requested");
		}
	}

	/**
	 * Builds the job.
	 * @param settings the run's settings, with credentials
	 * @return the job; its executors shut down when it ends
	 */
	public Job create(VerifySettings settings) {
		SourceLayout layout = this.layouts.apply(settings.copy());
		int partitionCount = layout.partition(0).size();
		ThreadPoolTaskExecutor processing = new ThreadPoolTaskExecutor();
		processing.setCorePoolSize(settings.copy().threads() * partitionCount);
		processing.setMaxPoolSize(settings.copy().threads() * partitionCount);
		processing.setThreadNamePrefix("keyferry-verify-");
		processing.setDaemon(true);
		processing.initialize();
		SimpleAsyncTaskExecutor partitions = new SimpleAsyncTaskExecutor("keyferry-partition-");
		partitions.setConcurrencyLimit(partitionCount);
		partitions.setDaemon(true);

		Step partitionStep = new StepBuilder(JobNames.VERIFY_PARTITION_STEP, this.jobRepository)
			.allowStartIfComplete(true)
			.<KeyBatch, VerdictBatch>chunk(settings.copy().batchesPerChunk())
			.transactionManager(this.transactionManager)
			.reader(this.reader)
			.processor(this.processor)
			.writer(this.writer)
			.stream(this.fence)
			.taskExecutor(processing)
			.interruptionPolicy(this::checkStop)
			.listener(new StopOnRequest(this.monitor))
			.build();
		TaskExecutorPartitionHandler handler = new TaskExecutorPartitionHandler();
		handler.setStep(partitionStep);
		handler.setTaskExecutor(partitions);
		handler.setGridSize(partitionCount);
		Step scan = new StepBuilder(JobNames.VERIFY_STEP, this.jobRepository)
			.partitioner(JobNames.VERIFY_PARTITION_STEP, layout)
			.step(partitionStep)
			.partitionHandler(new RescanningPartitionHandler(handler, layout, settings.copy().backoff(), this.monitor))
			.allowStartIfComplete(true)
			.build();
		VerifySettings resolved = settings.withCopy(settings.copy()
			.withEndpoints(this.credentials.resolve(settings.copy().source()),
					this.credentials.resolve(settings.copy().target())));
		SimpleJobBuilder job = new JobBuilder(JobNames.VERIFY_JOB, this.jobRepository).start(scan);
		if (settings.extra()) {
			VerifyExtraScan extra = new VerifyExtraScan(resolved, this.connector, this.differences, this.monitor);
			job.next(new StepBuilder(JobNames.VERIFY_EXTRA_STEP, this.jobRepository)
				.tasklet(extra, this.transactionManager)
				.listener(extra)
				.build());
		}
		VerifyPasses passes = new VerifyPasses(resolved, this.connector, this.differences, this.jobRepository,
				this.monitor);
		job.next(new StepBuilder(JobNames.VERIFY_RECHECK_STEP, this.jobRepository)
			.tasklet(passes, this.transactionManager)
			.listener(passes)
			.build());
		if (settings.fix()) {
			VerifyFix fix = new VerifyFix(resolved, this.connector, this.differences, this.jobRepository, this.monitor);
			job.next(new StepBuilder(JobNames.VERIFY_FIX_STEP, this.jobRepository).tasklet(fix, this.transactionManager)
				.listener(fix)
				.build());
		}
		return job.validator((parameters) -> TestHalt.at("before-execution"))
			.listener(this.runOwners)
			.listener(new JobExecutionListener() {
				@Override
				public void beforeJob(JobExecution jobExecution) {
					VerifyJobFactory.this.monitor.setCurrentExecution(jobExecution);
				}

				@Override
				public void afterJob(JobExecution jobExecution) {
					processing.shutdown();
				}
			})
			.build();
	}

}
