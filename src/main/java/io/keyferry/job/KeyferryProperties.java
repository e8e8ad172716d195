package io.keyferry.job;

import java.nio.file.Path;
import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Process-wide settings.
 *
 * @param home where the default job repository and logs live ({@code KEYFERRY_HOME},
 * default {@code ~/.keyferry})
 * @param connectTimeout how long to wait for a Redis connection and a command reply by
 * default
 */
@ConfigurationProperties("keyferry")
public record KeyferryProperties(Path home, @DefaultValue(DEFAULT_CONNECT_TIMEOUT) Duration connectTimeout) {

	/** The default of {@code keyferry.connect-timeout}. */
	public static final String DEFAULT_CONNECT_TIMEOUT = "10s";

}
