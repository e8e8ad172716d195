package io.keyferry.run;

import javax.sql.DataSource;

import io.keyferry.job.CopyJobFactory;
import io.keyferry.job.CopySettings;
import io.keyferry.job.EndpointCredentials;
import io.keyferry.job.LeaseFence;
import io.keyferry.job.RunMonitor;
import io.keyferry.job.SourceLayout;
import io.keyferry.job.VerifyJobFactory;
import io.keyferry.job.item.DifferenceWriter;
import io.keyferry.job.item.DumpProcessor;
import io.keyferry.job.item.VerifyProcessor;
import io.keyferry.repository.Differences;
import io.keyferry.job.item.RestoreWriter;
import io.keyferry.job.item.ScanKeyReader;
import io.keyferry.redis.RedisConnector;
import io.keyferry.repository.RepositorySchema;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * Wiring of the runs: the lease and owners of each copy, the job built per run with them,
 * and the launcher.
 */
@Configuration(proxyBeanMethods = false)
class RunConfiguration {

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
				runOwners, new LeaseFence(runLease::confirm), runMonitor,
				(settings) -> SourceLayout.of(resolved(settings, credentials), connector, runMonitor), connector,
				(settings) -> resolved(settings, credentials));
	}

	private static CopySettings resolved(CopySettings settings, EndpointCredentials credentials) {
		return settings.withEndpoints(credentials.resolve(settings.source()), credentials.resolve(settings.target()));
	}

	@Bean
	VerifyJobFactory verifyJobFactory(JobRepository jobRepository, PlatformTransactionManager transactionManager,
			ScanKeyReader scanKeyReader, VerifyProcessor verifyProcessor, DifferenceWriter differenceWriter,
			RunOwners runOwners, RunLease runLease, RunMonitor runMonitor, RedisConnector connector,
			EndpointCredentials credentials, Differences differences) {
		return new VerifyJobFactory(jobRepository, transactionManager, scanKeyReader, verifyProcessor, differenceWriter,
				runOwners, new LeaseFence(runLease::confirm), runMonitor,
				(settings) -> SourceLayout.of(resolved(settings, credentials), connector, runMonitor), connector,
				differences, credentials);
	}

	@Bean
	VerifyLauncher verifyLauncher(JobOperator jobOperator, JobRepository jobRepository,
			VerifyJobFactory verifyJobFactory, RunOwners runOwners, RunLease runLease, EndpointCredentials credentials,
			RedisConnector connector, RunMonitor monitor, DataSource dataSource, RepositorySchema schema) {
		return new VerifyLauncher(jobOperator, jobRepository, verifyJobFactory, runOwners, runLease, credentials,
				connector, monitor, new JdbcTemplate(dataSource));
	}

	@Bean
	CopyLauncher copyLauncher(JobOperator jobOperator, JobRepository jobRepository, CopyJobFactory copyJobFactory,
			RunOwners runOwners, RunLease runLease, EndpointCredentials credentials, RedisConnector connector,
			RunMonitor monitor, DataSource dataSource, RepositorySchema schema) {
		return new CopyLauncher(jobOperator, jobRepository, copyJobFactory, runOwners, runLease, credentials, connector,
				monitor, new JdbcTemplate(dataSource));
	}

}
