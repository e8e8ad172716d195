package io.keyferry.redis;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The commands a copy sends to each server, for the run's options and the servers'
 * versions: what the pre-flight probes before anything is written, and the ACL a user
 * needs (the README's Permissions lists them). Each part comes from the class that sends
 * the commands, so a command added there is probed too. Commands a copy can do without
 * are not here, because a refusal must not stop the run:
 * {@code OBJECT IDLETIME}/{@code FREQ} for an LRU/LFU target
 * ({@link AccessTracking#sourceCommand()}, probed when each partition starts, a refusal
 * is a warning) and {@code CLIENT NO-TOUCH} (tried on Redis 7.2+ sources). Stateless.
 */
public final class RequiredCommands {

	private RequiredCommands() {
	}

	/**
	 * The commands sent to the source.
	 * @param source the source (its database and credentials decide the connection's
	 * commands)
	 * @param policy {@code --on-conflict}
	 * @param type {@code --type}, or {@code null}
	 * @param absoluteExpiry whether the source has {@code PEXPIRETIME} (Redis 7+)
	 * @return the command names, lower case as ACL rules spell them, without duplicates
	 */
	public static List<String> source(Endpoint source, ConflictPolicy policy, String type, boolean absoluteExpiry) {
		return source(source, policy, type, absoluteExpiry, false);
	}

	/**
	 * The commands sent to the source, which may be a Redis Cluster.
	 * @param source the source (its database and credentials decide the connection's
	 * commands)
	 * @param policy {@code --on-conflict}
	 * @param type {@code --type}, or {@code null}
	 * @param absoluteExpiry whether the source has {@code PEXPIRETIME} (Redis 7+)
	 * @param cluster whether the source is a Redis Cluster
	 * @return the command names, lower case as ACL rules spell them, without duplicates
	 */
	public static List<String> source(Endpoint source, ConflictPolicy policy, String type, boolean absoluteExpiry,
			boolean cluster) {
		return source(source, policy, type, absoluteExpiry, cluster, false);
	}

	/**
	 * The commands sent to a source node, which may be a replica of a Redis Cluster read
	 * with {@code --read-from replica}.
	 * @param source the source (its database and credentials decide the connection's
	 * commands)
	 * @param policy {@code --on-conflict}
	 * @param type {@code --type}, or {@code null}
	 * @param absoluteExpiry whether the source has {@code PEXPIRETIME} (Redis 7+)
	 * @param cluster whether the source is a Redis Cluster
	 * @param replica whether the node is a cluster replica that the copy reads from
	 * @return the command names, lower case as ACL rules spell them, without duplicates
	 */
	public static List<String> source(Endpoint source, ConflictPolicy policy, String type, boolean absoluteExpiry,
			boolean cluster, boolean replica) {
		List<String> commands = new ArrayList<>(connection(source));
		if (cluster || replica) {
			// ClusterSource: CLUSTER NODES on every master, and on the replicas read
			// (ACL: +cluster|nodes)
			commands.add("cluster");
		}
		if (replica) {
			// PartitionResources: a cluster replica serves keyed reads only after
			// READONLY
			commands.add("readonly");
		}
		// identity, version, cluster mode and key count (RedisConnector.info)
		commands.add("info");
		// KeyScanner
		commands.add("scan");
		commands.addAll(DumpFetcher.commands(absoluteExpiry));
		if (absoluteExpiry) {
			// ServerClock: PEXPIRETIME is a time in the source's clock
			commands.add("time");
		}
		if (policy != ConflictPolicy.REPLACE) {
			commands.addAll(ValueComparison.sourceCommands(type));
		}
		return List.copyOf(new LinkedHashSet<>(commands));
	}

	/**
	 * The commands sent to the target.
	 * @param target the target (its database and credentials decide the connection's
	 * commands)
	 * @param policy {@code --on-conflict}
	 * @param dryRun {@code --dry-run}
	 * @param type {@code --type}, or {@code null}
	 * @param targetVersion the target's Redis version, {@code null} when unknown
	 * @return the command names, lower case as ACL rules spell them, without duplicates
	 */
	public static List<String> target(Endpoint target, ConflictPolicy policy, boolean dryRun, String type,
			String targetVersion) {
		return target(target, policy, dryRun, type, targetVersion, false);
	}

	/**
	 * The commands sent to the target, which may be a Redis Cluster.
	 * @param target the target (its database and credentials decide the connection's
	 * commands)
	 * @param policy {@code --on-conflict}
	 * @param dryRun {@code --dry-run}
	 * @param type {@code --type}, or {@code null}
	 * @param targetVersion the target's Redis version, {@code null} when unknown
	 * @param cluster whether the target is a Redis Cluster
	 * @return the command names, lower case as ACL rules spell them, without duplicates
	 */
	public static List<String> target(Endpoint target, ConflictPolicy policy, boolean dryRun, String type,
			String targetVersion, boolean cluster) {
		List<String> commands = new ArrayList<>(connection(target));
		if (cluster) {
			// ClusterTarget: the slot map (CLUSTER NODES), and ASKING before a key sent
			// to a slot's importing node
			commands.add("cluster");
			commands.add("asking");
		}
		commands.add("info");
		// ServerClock: expiries are written as absolute times in the target's clock
		commands.add("time");
		commands.addAll(Restorer.commands(policy, dryRun));
		if (policy != ConflictPolicy.REPLACE) {
			commands.addAll(ValueComparison.targetCommands(type, targetVersion));
		}
		return List.copyOf(new LinkedHashSet<>(commands));
	}

	/**
	 * The commands {@code --delete-missing} sends to the source, besides the copy's.
	 * @return the command names, lower case as ACL rules spell them
	 */
	public static List<String> deleteMissingSource() {
		return MissingKeys.sourceCommands();
	}

	/**
	 * The commands {@code --delete-missing} sends to the target, besides the copy's.
	 * @param dryRun {@code --dry-run}: counted, not deleted
	 * @return the command names, lower case as ACL rules spell them
	 */
	public static List<String> deleteMissingTarget(boolean dryRun) {
		return MissingKeys.targetCommands(dryRun);
	}

	/**
	 * What Lettuce sends when it connects, besides {@code AUTH} (which every user may
	 * run): {@code PING} when there are no credentials, {@code SELECT} for a database
	 * other than 0.
	 */
	static List<String> connection(Endpoint endpoint) {
		List<String> commands = new ArrayList<>();
		if (endpoint.user() == null && !endpoint.hasPassword()) {
			commands.add("ping");
		}
		if (endpoint.database() != 0) {
			commands.add("select");
		}
		return commands;
	}

}
