package io.keyferry.job;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import io.keyferry.job.item.Checkpoint;
import io.keyferry.job.item.DumpProcessor;
import io.keyferry.job.item.RestoreWriter;
import io.keyferry.job.item.ScanKeyReader;
import io.keyferry.job.item.ServerIdentities;
import io.keyferry.job.item.Throttle;
import io.keyferry.redis.DumpFetcher;
import io.keyferry.redis.KeyScanner;
import io.keyferry.redis.RedisConnector;
import io.keyferry.redis.RedisFailures;
import io.keyferry.redis.Restorer;
import io.keyferry.redis.TargetRoute;
import io.keyferry.redis.TypeWriter;
import io.keyferry.redis.ValueComparison;
import io.keyferry.job.item.SkipLog;
import io.lettuce.core.api.StatefulRedisConnection;
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
		// the run's limit shared among its partitions: the slices of a node alike, the
		// databases of an --all-databases run by their share of the keys
		double share = resources.stepExecution().getExecutionContext().getDouble(Checkpoint.DATABASE_SHARE, 1.0);
		long rate = (settings.rateLimit() > 0)
				? Math.max(1, Math.round(settings.rateLimit() * share / settings.partitions())) : 0;
		ServerIdentities identities = new ServerIdentities(resources.sourceNode(), settings.target(),
				resources::sourceIdentity, resources::targetIdentity, !settings.dryRun());
		return new ScanKeyReader(scanner, settings.source(), identities, resources.stepExecution().getId(),
				settings.batchSize(), settings.backoff(), monitor, resources.partitionName(), new Throttle(rate),
				// a verify counts each key once; a copy says what it copied again
				JobNames.VERIFY_JOB.equals(resources.stepExecution().getJobExecution().getJobInstance().getJobName()));
	}

	@Bean
	@StepScope
	DumpProcessor dumpProcessor(PartitionResources resources, RunMonitor monitor) {
		CopySettings settings = resources.settings();
		return new DumpProcessor(fetcher(resources, monitor), settings.source(), settings.backoff(), monitor,
				settings.batchBytes());
	}

	private static DumpFetcher fetcher(PartitionResources resources, RunMonitor monitor) {
		return new DumpFetcher(resources.source().connection(), resources.settings().timeout(),
				resources.sourceHasExpireTime(), resources.sourceClockOffset(), resources.accessTracking(),
				resources.bigValueBytes(),
				(refusal) -> monitor.warnOnce("values of any size are read whole with DUMP: the source answered "
						+ refusal + " to MEMORY USAGE, which finding big values to copy in pieces needs"));
	}

	@Bean
	@StepScope
	RestoreWriter restoreWriter(PartitionResources resources, SkipLog skippedKeys, RunMonitor monitor) {
		CopySettings settings = resources.settings();
		TargetRoute route = resources.targetRoute();
		Map<StatefulRedisConnection<byte[], byte[]>, ValueComparison> comparisons = new IdentityHashMap<>();
		Restorer.Fallback fallback = settings.writeMode()
			.mayWriteByTypes(resources.sourceInfo().version(), resources.targetVersion())
					? new Restorer.Fallback(new TypeWriter(resources.source().connection(), settings.timeout(),
							resources.targetVersion()), settings.writeMode(), settings.source())
					: null;
		Restorer restorer = new Restorer(route, settings.target(),
				new Restorer.Options(settings.onConflict(), settings.dryRun(), settings.maxValueBytes(),
						resources.targetRdbVersion(), settings.backoff(), settings.timeout(),
						resources.targetClockOffset(), settings.renames()),
				monitor::isStopRequested,
				// compared on the node that holds the key (each node's comparison kept)
				(dump) -> comparisons.computeIfAbsent(route.connectionFor(settings.renames().targetKey(dump.key())),
						(node) -> new ValueComparison(resources.source().connection(), settings.source(), node,
								settings.target(), resources.targetVersion(), settings.timeout(), settings.renames()))
					.targetHolds(dump),
				(key) -> settings.backoff()
					.call(() -> fetcher(resources, monitor).fetch(List.of(key)).get(0), monitor::isStopRequested,
							(failure) -> RedisFailures.describe("source", settings.source(), failure)),
				fallback,
				new Restorer.BigValues(
						new TypeWriter(resources.source().connection(), settings.timeout(), resources.targetVersion()),
						settings.source()));
		StepExecution step = resources.stepExecution();
		return new RestoreWriter(restorer, skippedKeys, monitor, step.getJobExecutionId(), step.getId());
	}

}
