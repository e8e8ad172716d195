package io.keyferry.repository;

import javax.sql.DataSource;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Wiring of keyferry's own tables: the schema, created on first use, and the skip
 * records.
 */
@Configuration(proxyBeanMethods = false)
class RepositoryConfiguration {

	@Bean
	RepositorySchema repositorySchema(DataSource dataSource) {
		return new RepositorySchema(dataSource);
	}

	@Bean
	SkippedKeys skippedKeys(DataSource dataSource, RepositorySchema schema) {
		return new SkippedKeys(new JdbcTemplate(dataSource));
	}

	@Bean
	Differences differences(DataSource dataSource, RepositorySchema schema) {
		return new Differences(new JdbcTemplate(dataSource));
	}

}
