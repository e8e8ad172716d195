package io.keyferry.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;

/**
 * Which keys of a target a run's filter covers and its source no longer has: a target key
 * is of the filter when one of the source names it can have been written from
 * ({@link PrefixRenames#sourceKeys(byte[])}) matches the run's glob; it is missing when
 * the source has none of those names (an {@code EXISTS} per name, pipelined, each sent to
 * the node that serves it). The {@code TYPE} filter is the target scan's own (a copy
 * keeps each key's type). Used by {@code copy --delete-missing} and
 * {@code verify --extra} (which also asks the target whether it still has the key).
 * Failures are thrown as Lettuce reports them, for the caller's retries. Thread-safe when
 * its routes are; meant for one thread.
 */
public final class MissingKeys {

	private final Function<byte[], StatefulRedisConnection<byte[], byte[]>> sourceRoute;

	private final Function<byte[], StatefulRedisConnection<byte[], byte[]>> targetRoute;

	private final KeyGlob glob;

	private final PrefixRenames renames;

	private final Duration timeout;

	/**
	 * Creates the check.
	 * @param sourceRoute the source connection that serves a key
	 * @param targetRoute the target connection that serves a key
	 * @param match the run's {@code --match}
	 * @param renames the run's {@code --rename-prefix} rules
	 * @param timeout how long to wait for the replies
	 */
	public MissingKeys(Function<byte[], StatefulRedisConnection<byte[], byte[]>> sourceRoute,
			Function<byte[], StatefulRedisConnection<byte[], byte[]>> targetRoute, String match, PrefixRenames renames,
			Duration timeout) {
		this.sourceRoute = sourceRoute;
		this.targetRoute = targetRoute;
		this.glob = new KeyGlob(match);
		this.renames = renames;
		this.timeout = timeout;
	}

	/**
	 * The {@code SCAN MATCH} glob for the target: the run's own when keys keep their
	 * names; with renames none (the target's names differ, {@link #missing} filters).
	 * @param match the run's {@code --match}
	 * @param renames the run's rules
	 * @return the glob, {@code null} for every key
	 */
	public static String targetMatch(String match, PrefixRenames renames) {
		return renames.isEmpty() ? match : null;
	}

	/**
	 * The commands sent to the source.
	 * @return the command names, lower case as ACL rules spell them
	 */
	public static List<String> sourceCommands() {
		return List.of("exists");
	}

	/**
	 * The commands sent to the target (besides {@code CLUSTER NODES} for a cluster).
	 * @param dryRun whether nothing is deleted
	 * @return the command names, lower case as ACL rules spell them
	 */
	public static List<String> targetCommands(boolean dryRun) {
		return dryRun ? List.of("scan") : List.of("scan", "unlink");
	}

	/**
	 * The keys of the filter that the source has under none of their names, now.
	 * @param targetKeys keys of the target
	 * @return those keys, in their order
	 */
	public List<byte[]> missing(List<byte[]> targetKeys) {
		List<byte[]> ofFilter = new ArrayList<>(targetKeys.size());
		List<List<RedisFuture<Long>>> exists = new ArrayList<>(targetKeys.size());
		for (byte[] key : targetKeys) {
			List<byte[]> names = this.renames.sourceKeys(key);
			if (names.stream().noneMatch(this.glob::matches)) {
				continue;
			}
			ofFilter.add(key);
			List<RedisFuture<Long>> replies = new ArrayList<>(names.size());
			for (byte[] name : names) {
				replies.add(this.sourceRoute.apply(name).async().exists(name));
			}
			exists.add(replies);
		}
		List<byte[]> missing = new ArrayList<>();
		for (int i = 0; i < ofFilter.size(); i++) {
			long found = 0;
			for (RedisFuture<Long> reply : exists.get(i)) {
				found += await(reply);
			}
			if (found == 0) {
				missing.add(ofFilter.get(i));
			}
		}
		return missing;
	}

	/**
	 * Which keys the target has now ({@code EXISTS}, pipelined, each to the node of its
	 * slot).
	 * @param targetKeys keys, by the target's names
	 * @return those the target has, in their order
	 */
	public List<byte[]> inTarget(List<byte[]> targetKeys) {
		List<RedisFuture<Long>> replies = new ArrayList<>(targetKeys.size());
		for (byte[] key : targetKeys) {
			replies.add(this.targetRoute.apply(key).async().exists(key));
		}
		List<byte[]> present = new ArrayList<>(targetKeys.size());
		for (int i = 0; i < targetKeys.size(); i++) {
			if (await(replies.get(i)) > 0) {
				present.add(targetKeys.get(i));
			}
		}
		return present;
	}

	/**
	 * The keys of the filter that the source has under none of their names and the target
	 * still has, now: {@code verify --extra}'s extra keys ({@link #missing}, then
	 * {@link #inTarget} for those).
	 * @param targetKeys keys of the target, by the target's names
	 * @return those keys, by the target's names, in their order
	 */
	public List<byte[]> extra(List<byte[]> targetKeys) {
		List<byte[]> missing = missing(targetKeys);
		return missing.isEmpty() ? missing : inTarget(missing);
	}

	/**
	 * Deletes keys from the target ({@code UNLINK}: the memory of a big value is freed in
	 * the background), pipelined.
	 * @param keys the keys
	 * @return how many of them the target had
	 */
	public long delete(List<byte[]> keys) {
		List<RedisFuture<Long>> replies = new ArrayList<>(keys.size());
		for (byte[] key : keys) {
			replies.add(this.targetRoute.apply(key).async().unlink(key));
		}
		long deleted = 0;
		for (RedisFuture<Long> reply : replies) {
			deleted += await(reply);
		}
		return deleted;
	}

	/**
	 * A reply; a failure is thrown as it is, for the caller's retries to classify and
	 * describe.
	 */
	private <T> T await(RedisFuture<T> future) {
		return LettuceFutures.awaitOrCancel(future, this.timeout.toNanos(), TimeUnit.NANOSECONDS);
	}

}
