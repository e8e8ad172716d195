package io.keyferry.job;

import java.time.Duration;

import io.keyferry.redis.Backoff;
import io.keyferry.redis.ConflictPolicy;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.ReadFrom;
import org.junit.jupiter.api.Test;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests of {@link CopySettings}' job parameters: what a resumed run reads back.
 */
class CopySettingsTests {

	@Test
	void readFromAndSeveralSeedsSurviveTheJobParameters() {
		CopySettings settings = settings("redis://app:secret@h1:7000,h2:7001", ReadFrom.REPLICA);

		JobParameters parameters = settings.toJobParameters();
		CopySettings stored = CopySettings.fromJobParameters(parameters);

		assertThat(stored.readFrom()).isEqualTo(ReadFrom.REPLICA);
		assertThat(stored.source()).isEqualTo(settings.source());
		assertThat(stored.source().moreSeeds()).containsExactly(new Endpoint.Seed("h2", 7001));
		assertThat(parameters.getString(JobNames.SOURCE)).isEqualTo("redis://app@h1:7000,h2:7001/0");
		assertThat(parameters.toString()).doesNotContain("secret");
		assertThat(stored.copyKey()).isEqualTo(settings.copyKey());
	}

	@Test
	void readFromIsATuningOptionNotPartOfTheRunsIdentity() {
		CopySettings master = settings("redis://h1:7000", ReadFrom.MASTER);
		CopySettings replica = settings("redis://h1:7000", ReadFrom.REPLICA);

		assertThat(replica.copyKey()).isEqualTo(master.copyKey());
		assertThat(replica.toJobParameters().getIdentifyingParameters())
			.isEqualTo(master.toJobParameters().getIdentifyingParameters());
	}

	@Test
	void aRunStoredBeforeReadFromExistedReadsTheMasters() {
		JobParameters stored = new JobParametersBuilder(settings("redis://h1:7000", ReadFrom.REPLICA).toJobParameters())
			.toJobParameters();
		JobParametersBuilder without = new JobParametersBuilder();
		stored.parameters()
			.stream()
			.filter((parameter) -> !parameter.name().equals(JobNames.READ_FROM))
			.forEach(without::addJobParameter);

		assertThat(CopySettings.fromJobParameters(without.toJobParameters()).readFrom()).isEqualTo(ReadFrom.MASTER);
	}

	@Test
	void tlsFilePathsAreStoredButNotPartOfTheRunsIdentity() {
		CopySettings plain = settings("rediss://app:secret@h1:7000", ReadFrom.MASTER);
		io.keyferry.redis.TlsSettings tls = io.keyferry.redis.TlsSettings.of(java.nio.file.Path.of("/etc/kf/ca.pem"),
				java.nio.file.Path.of("/etc/kf/client.pem"), java.nio.file.Path.of("/etc/kf/client.key"), false,
				"redis.example");
		CopySettings settings = plain.withEndpoints(plain.source().withTls(tls), plain.target());

		JobParameters parameters = settings.toJobParameters();
		CopySettings stored = CopySettings.fromJobParameters(parameters);

		assertThat(stored.source().tlsSettings()).isEqualTo(tls);
		assertThat(stored.target().tlsSettings()).isEqualTo(io.keyferry.redis.TlsSettings.DEFAULT);
		assertThat(parameters.getString("source-key")).isEqualTo("/etc/kf/client.key");
		assertThat(parameters.getIdentifyingParameters()).isEqualTo(plain.toJobParameters().getIdentifyingParameters());
		assertThat(parameters.toString()).doesNotContain("secret");
	}

	@Test
	void deleteMissingSurvivesTheJobParametersAndIsNotPartOfTheRunsIdentity() {
		CopySettings plain = settings("redis://h1:7000", ReadFrom.MASTER);
		CopySettings deleting = plain.withDeleteMissing(true);

		JobParameters parameters = deleting.toJobParameters();

		assertThat(CopySettings.fromJobParameters(parameters).deleteMissing()).isTrue();
		assertThat(deleting.copyKey()).isEqualTo(plain.copyKey());
		assertThat(parameters.getIdentifyingParameters()).isEqualTo(plain.toJobParameters().getIdentifyingParameters());
		// a run stored before the option existed has no such parameter: it deleted
		// nothing
		assertThat(plain.toJobParameters().getString(JobNames.DELETE_MISSING)).isNull();
		assertThat(CopySettings.fromJobParameters(plain.toJobParameters()).deleteMissing()).isFalse();
		assertThat(deleting.withRun(3).withPartitions(4).withEndpoints(plain.source(), plain.target()).deleteMissing())
			.isTrue();
	}

	@Test
	void allDatabasesIsAnotherRunThanDatabaseZeroAndSurvivesTheJobParameters() {
		CopySettings databaseZero = settings("redis://h1:7000", ReadFrom.MASTER);
		CopySettings every = new CopySettings(databaseZero.source(), databaseZero.target(), "*", null, false, 1,
				ConflictPolicy.REPLACE, 1000, 1000, 4, 1, 512L * 1024 * 1024, CopySettings.DEFAULT_CHUNK_BYTES, 0,
				Duration.ofSeconds(10), Backoff.DEFAULT, ReadFrom.MASTER, false, null, true);

		JobParameters parameters = every.toJobParameters();
		CopySettings stored = CopySettings.fromJobParameters(parameters);

		assertThat(stored.allDatabases()).isTrue();
		assertThat(stored.copyKey()).isEqualTo(every.copyKey()).isNotEqualTo(databaseZero.copyKey());
		assertThat(parameters.getIdentifyingParameters())
			.isNotEqualTo(databaseZero.toJobParameters().getIdentifyingParameters());
		assertThat(parameters.getIdentifyingParameters()).extracting((parameter) -> parameter.name())
			.contains(JobNames.ALL_DATABASES);
		// a run without the option keeps the parameters it had before the option existed
		assertThat(databaseZero.toJobParameters().parameters()).extracting((parameter) -> parameter.name())
			.doesNotContain(JobNames.ALL_DATABASES);
		assertThat(CopySettings.fromJobParameters(databaseZero.toJobParameters()).allDatabases()).isFalse();
		assertThat(every.withRun(2).withPartitions(4).allDatabases()).isTrue();
	}

	@Test
	void valuesOverEightMegabytesOrTheBatchBudgetAreBig() {
		CopySettings defaults = settings("redis://h1:7000", ReadFrom.MASTER);
		assertThat(defaults.bigValueBytes()).isEqualTo(8L * 1024 * 1024);
		assertThat(defaults.bigValueBytes()).isLessThanOrEqualTo(defaults.batchBytes());

		CopySettings small = new CopySettings(Endpoint.parse("source", "redis://h1:7000"),
				Endpoint.parse("target", "redis://t:6379"), "*", null, false, 1, ConflictPolicy.REPLACE, 1000, 1000, 4,
				1, 512L * 1024 * 1024, 4_000_000, 0, Duration.ofSeconds(10), Backoff.DEFAULT, ReadFrom.MASTER);
		assertThat(small.bigValueBytes()).isEqualTo(small.batchBytes()).isEqualTo(1_000_000);
	}

	private static CopySettings settings(String source, ReadFrom readFrom) {
		return new CopySettings(Endpoint.parse("source", source), Endpoint.parse("target", "redis://t:6379"), "*", null,
				false, 1, ConflictPolicy.REPLACE, 1000, 1000, 4, 1, 512L * 1024 * 1024,
				CopySettings.DEFAULT_CHUNK_BYTES, 0, Duration.ofSeconds(10), Backoff.DEFAULT, readFrom);
	}

}
