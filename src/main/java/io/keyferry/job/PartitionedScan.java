package io.keyferry.job;

import io.keyferry.redis.Backoff;
import org.springframework.batch.core.job.JobInterruptedException;
import org.springframework.batch.core.partition.support.TaskExecutorPartitionHandler;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.infrastructure.item.ItemProcessor;
import org.springframework.batch.infrastructure.item.ItemReader;
import org.springframework.batch.infrastructure.item.ItemWriter;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The partitioned scan step that copy and verify share: one partition per slice of the
 * source's layout (every master's slices on a cluster), all running at once, each
 * processing its chunks on a pool of {@code threads} per partition, stopped at a chunk
 * boundary when asked, and run again by {@link RescanningPartitionHandler} until every
 * partition agrees with the servers of the moment. A finished partition runs again on
 * every pass and every resume: its reader decides whether its checkpoint still holds
 * (same source and target processes) and returns at once when it does.
 *
 * @param step the manager step
 * @param processing the chunk processing pool, to shut down when the job ends
 */
record PartitionedScan(Step step, ThreadPoolTaskExecutor processing) {

	/**
	 * What a partitioned scan is made of.
	 *
	 * @param <I> what the reader reads
	 * @param <O> what the processor gives the writer
	 * @param stepName the manager step's name
	 * @param partitionStepName the partitions' step name
	 * @param threadPrefix the processing threads' name prefix
	 * @param reader the reader
	 * @param processor the processor
	 * @param writer the writer
	 */
	record Parts<I, O>(String stepName, String partitionStepName, String threadPrefix, ItemReader<I> reader,
			ItemProcessor<I, O> processor, ItemWriter<O> writer) {
	}

	/**
	 * The run's settings that shape the scan.
	 *
	 * @param threads processing threads per partition
	 * @param batchesPerChunk batches per chunk (a checkpoint each)
	 * @param backoff the retries of reading the layout again between passes
	 */
	record Shape(int threads, int batchesPerChunk, Backoff backoff) {

		static Shape of(CopySettings settings) {
			return new Shape(settings.threads(), settings.batchesPerChunk(), settings.backoff());
		}

	}

	/**
	 * Builds the step and its pools.
	 * @param <I> what the reader reads
	 * @param <O> what the processor gives the writer
	 * @param parts the step's names and items
	 * @param layout the source's partitions
	 * @param shape the run's settings
	 * @param jobRepository the job repository
	 * @param transactionManager the repository's transactions
	 * @param fence fails a commit once this process lost the run's lease
	 * @param monitor the run's stop requests and warnings
	 * @return the step
	 */
	static <I, O> PartitionedScan build(Parts<I, O> parts, SourceLayout layout, Shape shape,
			JobRepository jobRepository, PlatformTransactionManager transactionManager, LeaseFence fence,
			RunMonitor monitor) {
		// partitions running at once: every slice of every master the source has now
		// (none when an --all-databases source is empty: one, which a later pass
		// may add to)
		int partitionCount = Math.max(1, layout.partition(0).size());
		ThreadPoolTaskExecutor processing = new ThreadPoolTaskExecutor();
		processing.setCorePoolSize(shape.threads() * partitionCount);
		processing.setMaxPoolSize(shape.threads() * partitionCount);
		processing.setThreadNamePrefix(parts.threadPrefix());
		processing.setDaemon(true);
		processing.initialize();
		SimpleAsyncTaskExecutor partitions = new SimpleAsyncTaskExecutor("keyferry-partition-");
		partitions.setConcurrencyLimit(partitionCount);
		partitions.setDaemon(true);

		Step partitionStep = new StepBuilder(parts.partitionStepName(), jobRepository).allowStartIfComplete(true)
			.<I, O>chunk(shape.batchesPerChunk())
			.transactionManager(transactionManager)
			.reader(parts.reader())
			.processor(parts.processor())
			.writer(parts.writer())
			.stream(fence)
			.taskExecutor(processing)
			.interruptionPolicy((stepExecution) -> checkStop(monitor, stepExecution))
			.listener(new StopOnRequest(monitor))
			.build();
		TaskExecutorPartitionHandler handler = new TaskExecutorPartitionHandler();
		handler.setStep(partitionStep);
		handler.setTaskExecutor(partitions);
		handler.setGridSize(partitionCount);
		Step step = new StepBuilder(parts.stepName(), jobRepository).partitioner(parts.partitionStepName(), layout)
			.step(partitionStep)
			.partitionHandler(new RescanningPartitionHandler(handler, layout, shape.backoff(), monitor))
			.allowStartIfComplete(true)
			.build();
		return new PartitionedScan(step, processing);
	}

	/**
	 * Stops a partition at a chunk boundary when this process was asked to stop (signal)
	 * or the repository says so (another process, synchronized at each commit). It must
	 * mark the step terminate-only: a step whose chunk loop merely ends would be recorded
	 * COMPLETED and never resumed.
	 */
	private static void checkStop(RunMonitor monitor, StepExecution stepExecution) throws JobInterruptedException {
		if (monitor.isStopRequested() || stepExecution.isTerminateOnly() || Thread.currentThread().isInterrupted()) {
			TestHalt.at("stopping");
			stepExecution.setTerminateOnly();
			throw new JobInterruptedException("stop requested");
		}
	}

}
