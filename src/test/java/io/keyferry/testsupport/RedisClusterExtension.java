package io.keyferry.testsupport;

import java.lang.reflect.Executable;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

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
	 * Starts the clusters of every {@link RedisCluster} parameter of a method at once and
	 * hands them to the store, which closes them.
	 */
	private static Map<Integer, RedisCluster> startAll(Executable executable, ExtensionContext.Store store) {
		List<Integer> indexes = new ArrayList<>();
		List<Supplier<RedisCluster>> starts = new ArrayList<>();
		Parameter[] parameters = executable.getParameters();
		for (int index = 0; index < parameters.length; index++) {
			if (parameters[index].getType() == RedisCluster.class) {
				indexes.add(index);
				starts.add(builder(parameters[index])::start);
			}
		}
		List<RedisCluster> started = ParallelStart.all(starts, RedisCluster::close);
		Map<Integer, RedisCluster> clusters = new LinkedHashMap<>();
		for (int i = 0; i < started.size(); i++) {
			// The store closes AutoCloseable values when its extension context ends.
			store.put(started.get(i), started.get(i));
			clusters.put(indexes.get(i), started.get(i));
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
