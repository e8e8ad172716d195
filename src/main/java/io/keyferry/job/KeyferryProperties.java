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
public record KeyferryProperties(Path home, @DefaultValue("10s") Duration connectTimeout) {
}
