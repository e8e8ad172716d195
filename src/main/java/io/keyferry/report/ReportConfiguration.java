package io.keyferry.report;

import javax.sql.DataSource;

import io.keyferry.run.RunOwners;
import io.keyferry.repository.Differences;
import io.keyferry.repository.SkippedKeys;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

/** Wiring of the history reader. */
@Configuration(proxyBeanMethods = false)
class ReportConfiguration {

	@Bean
	RunHistory runHistory(JobRepository jobRepository, DataSource dataSource, SkippedKeys skippedKeys,
			RunOwners runOwners, Differences differences) {
		return new RunHistory(jobRepository, new JdbcTemplate(dataSource), skippedKeys, runOwners, differences);
	}

}
