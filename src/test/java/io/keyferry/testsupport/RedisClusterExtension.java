package io.keyferry.testsupport;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Injects a freshly started and settled {@link RedisCluster} into every parameter of that
 * type, configured by an optional {@link RedisClusterOptions}. Each cluster is closed
 * (every node stopped, directories deleted) when the scope that asked for it ends: after
 * the test method for test and {@code @BeforeEach} parameters, after the class for
 * {@code @BeforeAll}.
 */
public final class RedisClusterExtension implements ParameterResolver {

	private static final Namespace NAMESPACE = Namespace.create(RedisClusterExtension.class);

	@Override
	public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
		return parameterContext.getParameter().getType() == RedisCluster.class;
	}

	@Override
	public RedisCluster resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
		RedisCluster.Builder builder = RedisCluster.builder();
		parameterContext.findAnnotation(RedisClusterOptions.class).ifPresent((options) -> {
			builder.masters(options.masters()).replicasPerMaster(options.replicas());
			if (options.persistence()) {
				builder.persistence();
			}
			if (!options.password().isEmpty()) {
				builder.password(options.password());
			}
		});
		RedisCluster cluster = builder.start();
		// The store closes AutoCloseable values when its extension context ends.
		extensionContext.getStore(NAMESPACE).put(cluster, cluster);
		return cluster;
	}

}
