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
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.job.builder.SimpleJobBuilder;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.builder.StepBuilder;
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

	/**
	 * Builds the job.
	 * @param settings the run's settings, with credentials
	 * @return the job; its executors shut down when it ends
	 */
	public Job create(VerifySettings settings) {
		PartitionedScan scan = PartitionedScan.build(
				new PartitionedScan.Parts<KeyBatch, VerdictBatch>(JobNames.VERIFY_STEP, JobNames.VERIFY_PARTITION_STEP,
						"keyferry-verify-", this.reader, this.processor, this.writer),
				this.layouts.apply(settings.copy()), PartitionedScan.Shape.of(settings.copy()), this.jobRepository,
				this.transactionManager, this.fence, this.monitor);
		VerifySettings resolved = settings.withCopy(settings.copy()
			.withEndpoints(this.credentials.resolve(settings.copy().source()),
					this.credentials.resolve(settings.copy().target())));
		SimpleJobBuilder job = new JobBuilder(JobNames.VERIFY_JOB, this.jobRepository).start(scan.step());
		if (settings.extra()) {
			VerifyExtraScan extra = new VerifyExtraScan(resolved, this.connector, this.differences, this.monitor);
			job.next(new StepBuilder(JobNames.VERIFY_EXTRA_STEP, this.jobRepository)
				.tasklet(extra, this.transactionManager)
				.stream(this.fence)
				.listener(extra)
				.build());
		}
		VerifyPasses passes = new VerifyPasses(resolved, this.connector, this.differences, this.jobRepository,
				this.monitor);
		job.next(new StepBuilder(JobNames.VERIFY_RECHECK_STEP, this.jobRepository)
			.tasklet(passes, this.transactionManager)
			.stream(this.fence)
			.listener(passes)
			.build());
		if (settings.fix()) {
			VerifyFix fix = new VerifyFix(resolved, this.connector, this.differences, this.jobRepository, this.monitor);
			job.next(new StepBuilder(JobNames.VERIFY_FIX_STEP, this.jobRepository).tasklet(fix, this.transactionManager)
				.stream(this.fence)
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
					scan.processing().shutdown();
				}
			})
			.build();
	}

}
