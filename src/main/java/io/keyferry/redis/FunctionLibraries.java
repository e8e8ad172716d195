package io.keyferry.redis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.keyferry.KeyferryException;
import io.lettuce.core.FunctionRestoreMode;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;

/**
 * Copies the source's Redis 7 function libraries ({@code FUNCTION DUMP} on the source,
 * {@code FUNCTION RESTORE} on the target) under the run's conflict policy, so that
 * {@code FCALL} works on the target. A library "conflicts" when the target has one of the
 * same name whose code ({@code FUNCTION LIST WITHCODE}) differs; one with the same code
 * is left alone. Functions are per node: a cluster source is read from its first master
 * (they are usually loaded on every node alike), a cluster target is written on every
 * master. Idempotent: copying again changes nothing. Stateless.
 */
public final class FunctionLibraries {

	private static final ByteArrayCodec CODEC = ByteArrayCodec.INSTANCE;

	/**
	 * What a copy did.
	 *
	 * @param copied the libraries written (on at least one target node)
	 * @param unchanged the libraries the target already had with the same code
	 * @param skipped the libraries left as they were because the target has them with
	 * other code ({@code --on-conflict skip})
	 * @param nodes the target nodes written to
	 */
	public record Outcome(Set<String> copied, Set<String> unchanged, Set<String> skipped, int nodes) {

		/**
		 * One line for the run's output.
		 * @return e.g. {@code function libraries: copied mylib (1 target node)}
		 */
		public String describe() {
			List<String> parts = new ArrayList<>();
			if (!this.copied.isEmpty()) {
				parts.add("copied " + String.join(", ", this.copied));
			}
			if (!this.unchanged.isEmpty()) {
				parts.add("already in the target " + String.join(", ", this.unchanged));
			}
			if (!this.skipped.isEmpty()) {
				parts.add("skipped " + String.join(", ", this.skipped)
						+ " (the target has them with other code; --on-conflict skip)");
			}
			if (parts.isEmpty()) {
				parts.add("the source has none");
			}
			return "function libraries: " + String.join("; ", parts) + " (" + this.nodes + " target node"
					+ ((this.nodes != 1) ? "s" : "") + ")";
		}

	}

	private FunctionLibraries() {
	}

	/**
	 * The commands sent to each server with {@code --functions} ({@code FUNCTION LIST},
	 * {@code DUMP} on the source; {@code LIST}, {@code RESTORE}, {@code LOAD} on the
	 * target).
	 * @return the command names, lower case as ACL rules spell them
	 */
	public static List<String> commands() {
		return List.of("function");
	}

	/**
	 * The source's library names, for the notice of a run without {@code --functions}.
	 * @param connector opens the connection
	 * @param source the source
	 * @return the names; empty also when the server cannot tell (older than 7.0, or the
	 * user may not run {@code FUNCTION LIST})
	 */
	public static Set<String> sourceNames(RedisConnector connector, Endpoint source) {
		try (RedisConnector.Connection connection = connector.connect(source)) {
			return list(connection.connection()).keySet();
		}
		catch (RuntimeException ex) {
			return Set.of();
		}
	}

	/**
	 * Copies the libraries.
	 * @param connector opens the connections
	 * @param source the source
	 * @param target the target
	 * @param policy {@code --on-conflict}: replace restores with {@code REPLACE}; skip
	 * and fail add the missing libraries only, fail first refusing any conflict
	 * @return what was done
	 * @throws KeyferryException on a conflict under {@code fail}, or a server's failure
	 */
	public static Outcome copy(RedisConnector connector, Endpoint source, Endpoint target, ConflictPolicy policy) {
		byte[] dump;
		Map<String, String> libraries;
		try (RedisConnector.Connection s = connector.connect(source)) {
			StatefulRedisConnection<byte[], byte[]> node = s.connection();
			RedisConnector.Connection master = null;
			try {
				if (RedisConnector.info(node, source).clusterEnabled()) {
					Endpoint first = ClusterSource.endpointOf(source, ClusterSource.nodes(node).masters().get(0));
					master = connector.connect(first);
					node = master.connection();
				}
				libraries = list(node);
				dump = libraries.isEmpty() ? null : node.sync().functionDump();
			}
			catch (RedisException ex) {
				throw RedisFailures.describe("source", source, ex);
			}
			finally {
				if (master != null) {
					master.close();
				}
			}
		}
		List<Endpoint> nodes = targetNodes(connector, target);
		Set<String> copied = new LinkedHashSet<>();
		Set<String> unchanged = new LinkedHashSet<>();
		Set<String> skipped = new LinkedHashSet<>();
		if (libraries.isEmpty()) {
			return new Outcome(copied, unchanged, skipped, nodes.size());
		}
		if (policy == ConflictPolicy.FAIL) {
			for (Endpoint node : nodes) {
				try (RedisConnector.Connection t = connector.connect(node)) {
					List<String> conflicts = conflicts(libraries, list(t.connection()));
					if (!conflicts.isEmpty()) {
						throw new KeyferryException(
								"function library " + String.join(", ", conflicts) + " already exists in the target "
										+ node.redacted() + " with other code (--on-conflict fail)",
								"delete it on the target (FUNCTION DELETE " + conflicts.get(0)
										+ "), or use --on-conflict replace or skip; nothing was written");
					}
				}
			}
		}
		for (Endpoint node : nodes) {
			try (RedisConnector.Connection t = connector.connect(node)) {
				RedisCommands<byte[], byte[]> commands = t.connection().sync();
				Map<String, String> existing = list(t.connection());
				List<String> missing = new ArrayList<>();
				for (Map.Entry<String, String> library : libraries.entrySet()) {
					String name = library.getKey();
					String code = existing.get(name);
					if (library.getValue().equals(code)) {
						unchanged.add(name);
					}
					else if (code == null) {
						missing.add(name);
					}
					else if (policy == ConflictPolicy.REPLACE) {
						missing.add(name);
					}
					else {
						skipped.add(name);
					}
				}
				if (missing.isEmpty()) {
					continue;
				}
				if (policy == ConflictPolicy.REPLACE) {
					commands.functionRestore(dump, FunctionRestoreMode.REPLACE);
				}
				else if (missing.size() == libraries.size()) {
					// none of them there: all at once, refused as a whole if one appeared
					// meanwhile
					commands.functionRestore(dump, FunctionRestoreMode.APPEND);
				}
				else {
					// APPEND refuses the whole payload when one of its libraries exists
					for (String name : missing) {
						commands.functionLoad(libraries.get(name));
					}
				}
				copied.addAll(missing);
			}
			catch (RedisException ex) {
				throw RedisFailures.describe("target", node, ex);
			}
		}
		unchanged.removeAll(copied);
		skipped.removeAll(copied);
		return new Outcome(copied, unchanged, skipped, nodes.size());
	}

	private static List<String> conflicts(Map<String, String> libraries, Map<String, String> existing) {
		List<String> conflicts = new ArrayList<>();
		libraries.forEach((name, code) -> {
			if (existing.containsKey(name) && !existing.get(name).equals(code)) {
				conflicts.add(name);
			}
		});
		return conflicts;
	}

	/**
	 * The target's nodes to write: every master of a cluster, else the server itself.
	 */
	private static List<Endpoint> targetNodes(RedisConnector connector, Endpoint target) {
		try (RedisConnector.Connection t = connector.connect(target)) {
			if (!RedisConnector.info(t.connection(), target).clusterEnabled()) {
				return List.of(target);
			}
			return ClusterSource.nodes(t.connection())
				.masters()
				.stream()
				.map((master) -> ClusterSource.endpointOf(target, master))
				.toList();
		}
	}

	/**
	 * The libraries of a node with their code ({@code FUNCTION LIST WITHCODE}).
	 * @param connection the node
	 * @return library name to code, by name
	 */
	static Map<String, String> list(StatefulRedisConnection<byte[], byte[]> connection) {
		List<Object> reply = connection.sync()
			.dispatch(CommandType.FUNCTION, new NestedMultiOutput<>(CODEC),
					new CommandArgs<>(CODEC).add("LIST").add("WITHCODE"));
		Map<String, String> libraries = new TreeMap<>();
		for (Object entry : reply) {
			// RESP2: a flat list of field, value, ...
			List<?> fields = (List<?>) entry;
			String name = null;
			String code = null;
			for (int i = 0; i + 1 < fields.size(); i += 2) {
				String field = text(fields.get(i));
				if ("library_name".equals(field)) {
					name = text(fields.get(i + 1));
				}
				else if ("library_code".equals(field)) {
					code = text(fields.get(i + 1));
				}
			}
			if (name != null) {
				libraries.put(name, (code != null) ? code : "");
			}
		}
		return libraries;
	}

	private static String text(Object value) {
		return (value instanceof byte[] bytes) ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(value);
	}

}
