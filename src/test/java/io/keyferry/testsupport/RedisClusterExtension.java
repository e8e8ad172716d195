package io.keyferry.testsupport;

import java.lang.reflect.Executable;
import java.lang.reflect.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Injects a freshly started and settled {@link RedisCluster} into every parameter of that
 * type, configured by an optional {@link RedisClusterOptions}. The clusters of one method
 * (a source and a target) are started at the same time, when its first one is asked for.
 * Each cluster is closed (every node stopped, directories deleted) when the scope that
 * asked for it ends: after the test method for test and {@code @BeforeEach} parameters,
 * after the class for {@code @BeforeAll}.
 */
public final class RedisClusterExtension implements ParameterResolver {

	private static final Namespace NAMESPACE = Namespace.create(RedisClusterExtension.class);

	@Override
	public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
		return parameterContext.getParameter().getType() == RedisCluster.class;
	}

	@Override
	public RedisCluster resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
		ExtensionContext.Store store = extensionContext.getStore(NAMESPACE);
		Executable executable = parameterContext.getDeclaringExecutable();
		Started started = store.get(executable, Started.class);
		if (started == null) {
			started = new Started(startAll(executable, store));
			store.put(executable, started);
		}
		return started.clusters().get(parameterContext.getIndex());
	}

	/**
	 * Starts the clusters of every {@link RedisCluster} parameter of a method, each on a
	 * thread of its own, and hands each one that started to the store, which closes it;
	 * then fails if one did not start.
	 */
	private static Map<Integer, RedisCluster> startAll(Executable executable, ExtensionContext.Store store) {
		Map<Integer, RedisCluster.Builder> builders = new LinkedHashMap<>();
		Parameter[] parameters = executable.getParameters();
		for (int index = 0; index < parameters.length; index++) {
			if (parameters[index].getType() == RedisCluster.class) {
				builders.put(index, builder(parameters[index]));
			}
		}
		Map<Integer, CompletableFuture<RedisCluster>> starting = new LinkedHashMap<>();
		builders.forEach((index, builder) -> {
			CompletableFuture<RedisCluster> cluster = new CompletableFuture<>();
			Thread thread = new Thread(() -> {
				try {
					cluster.complete(builder.start());
				}
				catch (Throwable ex) {
					cluster.completeExceptionally(ex);
				}
			}, "redis-cluster-start");
			thread.setDaemon(true);
			thread.start();
			starting.put(index, cluster);
		});
		Map<Integer, RedisCluster> clusters = new LinkedHashMap<>();
		RuntimeException failure = null;
		for (Map.Entry<Integer, CompletableFuture<RedisCluster>> entry : starting.entrySet()) {
			try {
				RedisCluster cluster = entry.getValue().join();
				// The store closes AutoCloseable values when its extension context ends.
				store.put(cluster, cluster);
				clusters.put(entry.getKey(), cluster);
			}
			catch (CompletionException ex) {
				if (failure == null) {
					failure = (ex.getCause() instanceof RuntimeException cause) ? cause : ex;
				}
			}
		}
		if (failure != null) {
			throw failure;
		}
		return clusters;
	}

	private static RedisCluster.Builder builder(Parameter parameter) {
		RedisCluster.Builder builder = RedisCluster.builder();
		RedisClusterOptions options = parameter.getAnnotation(RedisClusterOptions.class);
		if (options != null) {
			builder.masters(options.masters()).replicasPerMaster(options.replicas());
			if (options.persistence()) {
				builder.persistence();
			}
			if (!options.password().isEmpty()) {
				builder.password(options.password());
			}
		}
		return builder;
	}

	/** The clusters started for a method's parameters, by parameter index. */
	private record Started(Map<Integer, RedisCluster> clusters) {

	}

}
