package io.keyferry.job;

import java.util.List;

import javax.sql.DataSource;

import io.keyferry.job.item.DumpProcessor;
import io.keyferry.job.item.RestoreWriter;
import io.keyferry.job.item.ScanKeyReader;
import io.keyferry.job.item.ServerIdentities;
import io.keyferry.job.item.Throttle;
import io.keyferry.redis.DumpFetcher;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.KeyScanner;
import io.keyferry.redis.RedisConnector;
import io.keyferry.redis.RedisFailures;
import io.keyferry.redis.Restorer;
import io.keyferry.redis.ValueComparison;
import org.springframework.batch.core.configuration.annotation.StepScope;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * Wiring of the copy job: process-wide services, and the reader, processor and writer of
 * each partition (step-scoped, built over that partition's connections). The job itself
 * is built per run by {@link CopyJobFactory}, because its chunk size and threads are
 * settings of the run.
 */
@Configuration(proxyBeanMethods = false)
class CopyJobConfiguration {

	@Bean(destroyMethod = "close")
	RedisConnector redisConnector(KeyferryProperties properties) {
		return new RedisConnector(properties.connectTimeout());
	}

	@Bean
	RunMonitor runMonitor() {
		return new RunMonitor();
	}

	@Bean
	EndpointCredentials endpointCredentials() {
		return new EndpointCredentials(System::getenv);
	}

	@Bean
	RepositorySchema repositorySchema(DataSource dataSource) {
		return new RepositorySchema(dataSource);
	}

	@Bean
	SkippedKeys skippedKeys(DataSource dataSource, RepositorySchema schema) {
		return new SkippedKeys(new JdbcTemplate(dataSource));
	}

	@Bean(destroyMethod = "close")
	RunLease runLease(DataSource dataSource, RepositorySchema schema) {
		return new RunLease(new JdbcTemplate(dataSource));
	}

	@Bean
	RunOwners runOwners(DataSource dataSource, RunLease runLease) {
		return new RunOwners(new JdbcTemplate(dataSource), runLease);
	}

	@Bean
	CopyJobFactory copyJobFactory(JobRepository jobRepository, PlatformTransactionManager transactionManager,
			ScanKeyReader scanKeyReader, DumpProcessor dumpProcessor, RestoreWriter restoreWriter, RunOwners runOwners,
			RunLease runLease, RunMonitor runMonitor, RedisConnector connector, EndpointCredentials credentials) {
		return new CopyJobFactory(jobRepository, transactionManager, scanKeyReader, dumpProcessor, restoreWriter,
				runOwners, new LeaseFence(runLease), runMonitor, (settings) -> {
					CopySettings resolved = settings.withEndpoints(credentials.resolve(settings.source()),
							credentials.resolve(settings.target()));
					return new SourceLayout(resolved, connector, isCluster(connector, resolved.source()));
				});
	}

	private static boolean isCluster(RedisConnector connector, Endpoint source) {
		try (RedisConnector.Connection connection = connector.connect(source)) {
			return RedisConnector.info(connection.connection(), source).clusterEnabled();
		}
	}

	@Bean
	CopyLauncher copyLauncher(JobOperator jobOperator, JobRepository jobRepository, CopyJobFactory copyJobFactory,
			RunOwners runOwners, RunLease runLease, EndpointCredentials credentials, RedisConnector connector,
			RunMonitor monitor, DataSource dataSource, RepositorySchema schema) {
		return new CopyLauncher(jobOperator, jobRepository, copyJobFactory, runOwners, runLease, credentials, connector,
				monitor, new JdbcTemplate(dataSource));
	}

	@Bean
	@StepScope
	PartitionResources partitionResources(@Value("#{stepExecution}") StepExecution stepExecution,
			EndpointCredentials credentials, RedisConnector connector, RunMonitor monitor) {
		return new PartitionResources(stepExecution, credentials, connector, monitor);
	}

	@Bean
	@StepScope
	ScanKeyReader scanKeyReader(PartitionResources resources, RunMonitor monitor) {
		CopySettings settings = resources.settings();
		KeyScanner scanner = new KeyScanner(resources.source().connection(), settings.match(), settings.type(),
				settings.scanCount());
		long rate = (settings.rateLimit() > 0) ? Math.max(1, settings.rateLimit() / settings.partitions()) : 0;
		ServerIdentities identities = new ServerIdentities(resources.sourceNode(), settings.target(),
				resources::sourceIdentity, () -> RedisConnector.runId(resources.target().connection()),
				!settings.dryRun());
		return new ScanKeyReader(scanner, settings.source(), identities, resources.stepExecution().getId(),
				settings.batchSize(), settings.backoff(), monitor, resources.partitionName(), new Throttle(rate));
	}

	@Bean
	@StepScope
	DumpProcessor dumpProcessor(PartitionResources resources, RunMonitor monitor) {
		CopySettings settings = resources.settings();
		return new DumpProcessor(fetcher(resources), settings.source(), settings.backoff(), monitor,
				settings.batchBytes());
	}

	private static DumpFetcher fetcher(PartitionResources resources) {
		return new DumpFetcher(resources.source().connection(), resources.settings().timeout(),
				resources.sourceHasExpireTime(), resources.sourceClockOffset());
	}

	@Bean
	@StepScope
	RestoreWriter restoreWriter(PartitionResources resources, SkippedKeys skippedKeys, RunMonitor monitor) {
		CopySettings settings = resources.settings();
		Restorer restorer = new Restorer(resources.target().connection(), settings.target(),
				new Restorer.Options(settings.onConflict(), settings.dryRun(), settings.maxValueBytes(),
						resources
							.targetRdbVersion(),
						settings.backoff(), settings.timeout(), resources.targetClockOffset()),
				monitor::isStopRequested,
				new ValueComparison(resources.source().connection(), settings.source(), resources.target().connection(),
						settings.target(), resources.targetVersion(), settings.timeout())::targetHolds,
				(key) -> settings.backoff()
					.call(() -> fetcher(resources).fetch(List.of(key)).get(0), monitor::isStopRequested,
							(failure) -> RedisFailures.describe("source", settings.source(), failure)));
		StepExecution step = resources.stepExecution();
		return new RestoreWriter(restorer, skippedKeys, monitor, step.getJobExecutionId(), step.getId());
	}

}
