package io.keyferry.testsupport;

import java.time.Duration;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Injects a freshly started {@link RedisServer} into every parameter of that type (test
 * methods, lifecycle methods, constructors), configured by an optional
 * {@link RedisServerOptions}. Each server is closed (stopped, directory deleted) when the
 * scope that asked for it ends: after the test method for test and {@code @BeforeEach}
 * parameters, after the class for {@code @BeforeAll}.
 */
public final class RedisServerExtension implements ParameterResolver {

	private static final Namespace NAMESPACE = Namespace.create(RedisServerExtension.class);

	@Override
	public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
		return parameterContext.getParameter().getType() == RedisServer.class;
	}

	@Override
	public RedisServer resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
		RedisServer.Builder builder = RedisServer.builder();
		parameterContext.findAnnotation(RedisServerOptions.class).ifPresent((options) -> {
			builder.args(options.args());
			if (!options.password().isEmpty()) {
				builder.password(options.password());
			}
			if (options.persistence()) {
				builder.persistence();
			}
			if (options.old()) {
				builder.old();
			}
			builder.clockOffset(Duration.ofSeconds(options.clockOffsetSeconds()));
		});
		RedisServer server = builder.start();
		// The store closes AutoCloseable values when its extension context ends.
		extensionContext.getStore(NAMESPACE).put(server, server);
		return server;
	}

}
