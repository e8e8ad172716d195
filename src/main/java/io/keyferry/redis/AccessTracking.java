package io.keyferry.redis;

import java.util.Locale;
import java.util.Map;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;

/**
 * What a server's {@code maxmemory-policy} records of each key's use, and so what a copy
 * can carry across: the idle time of an LRU policy ({@code OBJECT IDLETIME} on the
 * source, {@code RESTORE … IDLETIME} on the target) or the access frequency of an LFU
 * policy ({@code OBJECT FREQ}, {@code RESTORE … FREQ}). Without it every restored key
 * looks new to the target, which changes what an LRU or LFU target evicts first.
 */
public enum AccessTracking {

	/** A policy that evicts by neither (noeviction, random, volatile-ttl). */
	NONE(null),

	/** {@code allkeys-lru}, {@code volatile-lru}: idle times. */
	LRU("object|idletime"),

	/** {@code allkeys-lfu}, {@code volatile-lfu}: access frequencies. */
	LFU("object|freq");

	private final String sourceCommand;

	AccessTracking(String sourceCommand) {
		this.sourceCommand = sourceCommand;
	}

	/**
	 * The tracking of a policy.
	 * @param policy e.g. {@code allkeys-lru}, {@code null} when unknown
	 * @return the tracking, {@link #NONE} when unknown
	 */
	public static AccessTracking ofPolicy(String policy) {
		if (policy == null) {
			return NONE;
		}
		String name = policy.trim().toLowerCase(Locale.ROOT);
		if (name.endsWith("-lru")) {
			return LRU;
		}
		if (name.endsWith("-lfu")) {
			return LFU;
		}
		return NONE;
	}

	/**
	 * What a copy carries from a source to a target: the target's kind, when the source
	 * can tell it ({@code OBJECT FREQ} answers only under an LFU policy,
	 * {@code OBJECT IDLETIME} under any other).
	 * @param source the source's tracking
	 * @param target the target's tracking
	 * @return {@link #LRU}, {@link #LFU} or {@link #NONE}
	 */
	public static AccessTracking carried(AccessTracking source, AccessTracking target) {
		return switch (target) {
			case LRU -> (source != LFU) ? LRU : NONE;
			case LFU -> (source == LFU) ? LFU : NONE;
			case NONE -> NONE;
		};
	}

	/**
	 * The command the source must allow to read this tracking, as ACL rules spell it.
	 * @return {@code object|idletime} or {@code object|freq}, {@code null} for
	 * {@link #NONE}
	 */
	public String sourceCommand() {
		return this.sourceCommand;
	}

	/**
	 * Reads a server's {@code maxmemory-policy}: from {@code INFO memory}
	 * ({@code maxmemory_policy}, no permission beyond the {@code INFO} a copy needs
	 * anyway), else with {@code CONFIG GET maxmemory-policy} where the user may run it.
	 * @param connection the connection
	 * @return the policy, {@code null} when the server tells neither way
	 */
	public static String policy(StatefulRedisConnection<byte[], byte[]> connection) {
		String info = connection.sync().info("memory");
		for (String line : info.split("\r?\n")) {
			if (line.startsWith("maxmemory_policy:")) {
				return line.substring("maxmemory_policy:".length()).trim();
			}
		}
		try {
			Map<String, String> config = connection.sync().configGet("maxmemory-policy");
			return config.get("maxmemory-policy");
		}
		catch (RedisCommandExecutionException ex) {
			// CONFIG denied, renamed or disabled (as on most managed services)
			return null;
		}
	}

	/**
	 * Asks the source to leave the keys a connection reads untouched
	 * ({@code CLIENT NO-TOUCH ON}, Redis 7.2 and newer), so that a copy does not change
	 * the source's eviction order. Sent only to servers of a version that has it; a
	 * refusal is no failure.
	 * @param connection the source connection
	 * @param version the source's version, {@code null} when unknown
	 * @return {@code null} when set or not attempted (see {@link #hasNoTouch}), otherwise
	 * the server's refusal
	 */
	public static String leaveUntouched(StatefulRedisConnection<byte[], byte[]> connection, String version) {
		if (!hasNoTouch(version)) {
			return null;
		}
		try {
			connection.sync().clientNoTouch(true);
			return null;
		}
		catch (RedisCommandExecutionException ex) {
			return String.valueOf(ex.getMessage());
		}
	}

	/**
	 * Whether a server has {@code CLIENT NO-TOUCH}.
	 * @param version e.g. {@code 7.2.4}, {@code null} when unknown
	 * @return true from Redis 7.2 on (Valkey reports its Redis-compatible version)
	 */
	public static boolean hasNoTouch(String version) {
		return RdbVersion.ofRedisVersion(version).orElse(0) >= 11;
	}

}
