package io.keyferry.job;

import io.keyferry.job.item.Checkpoint;
import io.keyferry.job.item.DifferenceWriter;
import io.keyferry.job.item.VerifyProcessor;
import io.keyferry.redis.KeyVerifier;
import io.keyferry.redis.RdbVersion;
import io.keyferry.redis.TargetRoute;
import io.keyferry.repository.Differences;
import org.springframework.batch.core.configuration.annotation.StepScope;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wiring of the verify job's partitions: the comparing processor and the writer of
 * differences, step-scoped over the partition's connections ({@link PartitionResources},
 * shared with the copy job's reader).
 */
@Configuration(proxyBeanMethods = false)
class VerifyJobConfiguration {

	@Bean
	@StepScope
	VerifyProcessor verifyProcessor(PartitionResources resources, RunMonitor monitor) {
		CopySettings copy = resources.settings();
		VerifySettings settings = VerifySettings
			.fromJobParameters(resources.stepExecution().getJobExecution().getJobParameters());
		boolean targetAbsolute = RdbVersion.ofRedisVersion(resources.targetVersion()).orElse(0) >= 10;
		KeyVerifier.Options options = new KeyVerifier.Options(copy.timeout(), settings.ttlTolerance(), copy.renames(),
				resources.sourceHasExpireTime(), resources.sourceClockOffset(), targetAbsolute,
				resources.targetClockOffset(), resources.targetVersion());
		TargetRoute target = resources.targetRoute();
		KeyVerifier verifier = new KeyVerifier((key) -> resources.source().connection(), copy.source(),
				target::connectionFor, copy.target(), options, CopySettings.BIG_VALUE_BYTES,
				(refusal) -> monitor.warnOnce("values of any size are read whole with DUMP: a server answered "
						+ refusal + " to MEMORY USAGE, which finding big values to compare in pieces needs"));
		return new VerifyProcessor(verifier, copy.source(), copy.backoff(), monitor);
	}

	@Bean
	@StepScope
	DifferenceWriter differenceWriter(PartitionResources resources, Differences differences, RunMonitor monitor) {
		StepExecution step = resources.stepExecution();
		int database = step.getExecutionContext().getInt(Checkpoint.DATABASE, -1);
		return new DifferenceWriter(differences, monitor, step.getJobExecution().getJobInstanceId(),
				step.getJobExecutionId(), step.getId(), (database >= 0) ? database : null);
	}

}
