package io.keyferry.redis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.MapScanCursor;
import io.lettuce.core.models.stream.PendingMessage;
import io.lettuce.core.Range;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScoredValueScanCursor;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.ValueScanCursor;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.XClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.ProtocolKeyword;

/**
 * Writes one key type by type, with the commands of its type, instead of RESTORE: what a
 * target whose RDB format is older than the source's can read. The value is read from the
 * source in bounded pages ({@link #PAGE} elements, {@link #PIECE} bytes of a string) and
 * built in a temporary key of the same cluster slot ({@link #temporaryKey}), which gets
 * the key's expiry and is then moved into place with {@code RENAME} (replacing the key
 * atomically) or {@code RENAMENX} (keeping an existing key): no reader sees half a value.
 * The value is read while it is copied, so a key that changes meanwhile may be copied
 * with some of its changes. Streams keep their entries, last id, consumer groups (with
 * their last-delivered id), consumers and pending entries (with their delivery count and
 * idle time), as far as the target's commands allow. Thread-safe as its connections are.
 */
public final class TypeWriter {

	private static final ByteArrayCodec CODEC = ByteArrayCodec.INSTANCE;

	/** Elements read and written per command. */
	static final int PAGE = 512;

	/** Bytes of a string read and written per command. */
	static final int PIECE = 1024 * 1024;

	private static final byte[] TEMPORARY_SUFFIX = ":keyferry-tmp".getBytes(StandardCharsets.US_ASCII);

	/** The group that creates an empty stream (and is removed at once). */
	private static final byte[] EMPTY_STREAM_GROUP = "keyferry-tmp".getBytes(StandardCharsets.US_ASCII);

	/** {@code XSETID}, which Lettuce's command types do not name. */
	private static final ProtocolKeyword XSETID = new ProtocolKeyword() {

		private final byte[] bytes = "XSETID".getBytes(StandardCharsets.US_ASCII);

		@Override
		public byte[] getBytes() {
			return this.bytes;
		}

		@Override
		public String toString() {
			return "XSETID";
		}

	};

	/** How a key's write ended. */
	public enum Outcome {

		/** Written under its target name. */
		WRITTEN,

		/** Gone from the source before it was read. */
		GONE,

		/** Its time ran out before it could be moved into place. */
		EXPIRED,

		/**
		 * The target holds the key and the write was not to replace it: left as it is.
		 */
		EXISTS,

		/** A type without commands to copy it (a module's type). */
		UNSUPPORTED

	}

	/**
	 * How a key's write ended.
	 *
	 * @param outcome the outcome
	 * @param type the source key's type ({@code none} when gone)
	 */
	public record Result(Outcome outcome, String type) {
	}

	/**
	 * A failure of the source (the target's failures are thrown as they are).
	 */
	public static final class SourceFailure extends RuntimeException {

		SourceFailure(RuntimeException cause) {
			super(cause.getMessage(), cause);
		}

	}

	private final StatefulRedisConnection<byte[], byte[]> source;

	private final long timeoutNanos;

	private final boolean streamCounters;

	private final boolean createConsumers;

	private final int page;

	private final int piece;

	/**
	 * Creates a writer.
	 * @param source the source connection (read only)
	 * @param timeout how long to wait for a page's replies
	 * @param targetVersion the target's Redis version ({@code null} when unknown: taken
	 * as new), which decides what of a stream's metadata it can be given
	 */
	public TypeWriter(StatefulRedisConnection<byte[], byte[]> source, java.time.Duration timeout,
			String targetVersion) {
		this(source, timeout, targetVersion, PAGE, PIECE);
	}

	TypeWriter(StatefulRedisConnection<byte[], byte[]> source, java.time.Duration timeout, String targetVersion,
			int page, int piece) {
		this.source = source;
		this.timeoutNanos = timeout.toNanos();
		int version = versionNumber(targetVersion);
		this.streamCounters = version >= 700;
		this.createConsumers = version >= 602;
		this.page = page;
		this.piece = piece;
	}

	private static int versionNumber(String version) {
		if (version == null) {
			return Integer.MAX_VALUE;
		}
		String[] parts = version.split("\\.");
		try {
			return Integer.parseInt(parts[0]) * 100 + ((parts.length > 1) ? Integer.parseInt(parts[1]) : 0);
		}
		catch (NumberFormatException ex) {
			return Integer.MAX_VALUE;
		}
	}

	/**
	 * The commands a type-by-type write sends to the source.
	 * @param type the only type copied ({@code --type}), or {@code null} for all
	 * @return the command names, lower case as ACL rules spell them
	 */
	public static List<String> sourceCommands(String type) {
		List<String> commands = new ArrayList<>(List.of("type"));
		for (String t : types(type)) {
			commands.addAll(switch (t) {
				case "string" -> List.of("strlen", "getrange");
				case "list" -> List.of("lrange");
				case "set" -> List.of("sscan");
				case "zset" -> List.of("zscan");
				case "hash" -> List.of("hscan");
				default -> List.of("xrange", "xinfo", "xpending");
			});
		}
		return commands;
	}

	/**
	 * The commands a type-by-type write sends to the target.
	 * @param type the only type copied ({@code --type}), or {@code null} for all
	 * @param policy what to do with existing keys
	 * @param targetVersion the target's Redis version, {@code null} when unknown
	 * @return the command names, lower case as ACL rules spell them
	 */
	public static List<String> targetCommands(String type, ConflictPolicy policy, String targetVersion) {
		List<String> commands = new ArrayList<>(List.of("del", "pexpireat"));
		commands.add((policy == ConflictPolicy.REPLACE) ? "rename" : "renamenx");
		if (policy != ConflictPolicy.REPLACE) {
			commands.add("exists");
		}
		for (String t : types(type)) {
			commands.addAll(switch (t) {
				case "string" -> List.of("set", "setrange");
				case "list" -> List.of("rpush");
				case "set" -> List.of("sadd");
				case "zset" -> List.of("zadd");
				case "hash" -> List.of("hset");
				default -> List.of("xadd", "xgroup", "xsetid", "xclaim");
			});
		}
		return commands;
	}

	private static List<String> types(String type) {
		return (type == null || type.isEmpty()) ? ValueComparison.TYPES : List.of(type);
	}

	/**
	 * The temporary name a key is built under: in the same cluster slot as the key (its
	 * hash tag kept, or the key made the hash tag, or a numbered suffix whose slot
	 * matches), and the same for every attempt, so that an attempt cut short is
	 * overwritten by the next.
	 * @param key the key's name in the target
	 * @return the temporary name
	 */
	public static byte[] temporaryKey(byte[] key) {
		if (hasHashTag(key)) {
			// the first {…} stays the first: the suffix holds no brace
			return concat(key, TEMPORARY_SUFFIX);
		}
		if (key.length > 0 && indexOf(key, (byte) '}', 0) < 0) {
			// {key}: its hash tag is the whole key, so it hashes like the key
			return concat(new byte[] { '{' }, key, new byte[] { '}' }, TEMPORARY_SUFFIX);
		}
		int slot = SlotHash.getSlot(key);
		for (int n = 0;; n++) {
			// the key has no hash tag and a suffix without braces gives it none
			byte[] candidate = concat(key, TEMPORARY_SUFFIX,
					(":" + Integer.toString(n, 36)).getBytes(StandardCharsets.US_ASCII));
			if (SlotHash.getSlot(candidate) == slot) {
				return candidate;
			}
		}
	}

	private static boolean hasHashTag(byte[] key) {
		int open = indexOf(key, (byte) '{', 0);
		if (open < 0) {
			return false;
		}
		int close = indexOf(key, (byte) '}', open + 1);
		return close > open + 1;
	}

	private static int indexOf(byte[] bytes, byte b, int from) {
		for (int i = from; i < bytes.length; i++) {
			if (bytes[i] == b) {
				return i;
			}
		}
		return -1;
	}

	private static byte[] concat(byte[]... parts) {
		int length = 0;
		for (byte[] part : parts) {
			length += part.length;
		}
		byte[] result = new byte[length];
		int at = 0;
		for (byte[] part : parts) {
			System.arraycopy(part, 0, result, at, part.length);
			at += part.length;
		}
		return result;
	}

	/**
	 * Copies a key.
	 * @param key the source key
	 * @param targetKey its name in the target
	 * @param target the connection to the server (or cluster master) serving the target
	 * key's slot
	 * @param expiry the absolute expiry to give the key in the target's clock, asked
	 * right before it is set: 0 for none, {@link KeyDump#EXPIRED} when its time ran out
	 * @param replace whether an existing key is replaced; otherwise it is kept
	 * @return how the write ended
	 * @throws SourceFailure when the source fails
	 * @throws RedisException when the target fails
	 */
	public Result write(byte[] key, byte[] targetKey, StatefulRedisConnection<byte[], byte[]> target,
			LongSupplier expiry, boolean replace) {
		RedisCommands<byte[], byte[]> to = target.sync();
		if (!replace && to.exists(targetKey) > 0) {
			return new Result(Outcome.EXISTS, null);
		}
		String type = read(() -> this.source.sync().type(key));
		if ("none".equals(type)) {
			return new Result(Outcome.GONE, type);
		}
		if (!ValueComparison.TYPES.contains(type)) {
			return new Result(Outcome.UNSUPPORTED, type);
		}
		byte[] temporary = temporaryKey(targetKey);
		// left by an attempt that was cut short
		to.del(temporary);
		boolean built = switch (type) {
			case "string" -> copyString(key, temporary, to);
			case "list" -> copyList(key, temporary, to);
			case "set" -> copySet(key, temporary, to);
			case "zset" -> copySortedSet(key, temporary, to);
			case "hash" -> copyHash(key, temporary, to);
			default -> copyStream(key, temporary, target);
		};
		if (!built) {
			to.del(temporary);
			return new Result(Outcome.GONE, type);
		}
		long expireAt = expiry.getAsLong();
		if (expireAt == KeyDump.EXPIRED) {
			to.del(temporary);
			return new Result(Outcome.EXPIRED, type);
		}
		if (expireAt > 0) {
			to.pexpireat(temporary, expireAt);
		}
		if (replace) {
			to.rename(temporary, targetKey);
			return new Result(Outcome.WRITTEN, type);
		}
		if (Boolean.TRUE.equals(to.renamenx(temporary, targetKey))) {
			return new Result(Outcome.WRITTEN, type);
		}
		to.del(temporary);
		return new Result(Outcome.EXISTS, type);
	}

	/** Runs a read on the source, marking its failure as the source's. */
	private static <T> T read(java.util.function.Supplier<T> command) {
		try {
			return command.get();
		}
		catch (RedisException ex) {
			throw new SourceFailure(ex);
		}
	}

	private boolean copyString(byte[] key, byte[] temporary, RedisCommands<byte[], byte[]> to) {
		RedisCommands<byte[], byte[]> from = this.source.sync();
		long length = read(() -> from.strlen(key));
		if (length == 0) {
			if (!"string".equals(read(() -> from.type(key)))) {
				return false;
			}
			to.set(temporary, new byte[0]);
			return true;
		}
		boolean any = false;
		for (long offset = 0; offset < length; offset += this.piece) {
			long start = offset;
			byte[] part = read(() -> from.getrange(key, start, start + this.piece - 1));
			if (part == null || part.length == 0) {
				break;
			}
			to.setrange(temporary, offset, part);
			any = true;
		}
		return any;
	}

	private boolean copyList(byte[] key, byte[] temporary, RedisCommands<byte[], byte[]> to) {
		RedisCommands<byte[], byte[]> from = this.source.sync();
		boolean any = false;
		for (long start = 0;; start += this.page) {
			long first = start;
			List<byte[]> part = read(() -> from.lrange(key, first, first + this.page - 1));
			if (part.isEmpty()) {
				break;
			}
			to.rpush(temporary, part.toArray(new byte[0][]));
			any = true;
			if (part.size() < this.page) {
				break;
			}
		}
		return any;
	}

	/**
	 * Copies a collection read with a {@code *SCAN} of the key, page by page.
	 * @param scan reads the page at a cursor
	 * @param write writes a page to the temporary key, {@code false} when it was empty
	 * @return whether anything was written
	 */
	private static <C extends ScanCursor> boolean copyScanned(java.util.function.Function<ScanCursor, C> scan,
			java.util.function.Predicate<C> write) {
		ScanCursor cursor = ScanCursor.INITIAL;
		boolean any = false;
		do {
			ScanCursor at = cursor;
			C part = read(() -> scan.apply(at));
			any |= write.test(part);
			cursor = part;
		}
		while (!cursor.isFinished());
		return any;
	}

	private boolean copySet(byte[] key, byte[] temporary, RedisCommands<byte[], byte[]> to) {
		RedisCommands<byte[], byte[]> from = this.source.sync();
		ScanArgs args = ScanArgs.Builder.limit(this.page);
		return copyScanned((at) -> from.sscan(key, at, args), (ValueScanCursor<byte[]> part) -> {
			if (part.getValues().isEmpty()) {
				return false;
			}
			to.sadd(temporary, part.getValues().toArray(new byte[0][]));
			return true;
		});
	}

	@SuppressWarnings("unchecked")
	private boolean copySortedSet(byte[] key, byte[] temporary, RedisCommands<byte[], byte[]> to) {
		RedisCommands<byte[], byte[]> from = this.source.sync();
		ScanArgs args = ScanArgs.Builder.limit(this.page);
		return copyScanned((at) -> from.zscan(key, at, args), (ScoredValueScanCursor<byte[]> part) -> {
			if (part.getValues().isEmpty()) {
				return false;
			}
			to.zadd(temporary, part.getValues().toArray(new ScoredValue[0]));
			return true;
		});
	}

	private boolean copyHash(byte[] key, byte[] temporary, RedisCommands<byte[], byte[]> to) {
		RedisCommands<byte[], byte[]> from = this.source.sync();
		ScanArgs args = ScanArgs.Builder.limit(this.page);
		return copyScanned((at) -> from.hscan(key, at, args), (MapScanCursor<byte[], byte[]> part) -> {
			if (part.getMap().isEmpty()) {
				return false;
			}
			to.hset(temporary, part.getMap());
			return true;
		});
	}

	private boolean copyStream(byte[] key, byte[] temporary, StatefulRedisConnection<byte[], byte[]> target) {
		RedisCommands<byte[], byte[]> from = this.source.sync();
		RedisCommands<byte[], byte[]> to = target.sync();
		RedisAsyncCommands<byte[], byte[]> pipeline = target.async();
		Map<String, Object> info;
		try {
			info = fields(read(() -> from.xinfoStream(key)));
		}
		catch (SourceFailure ex) {
			if (String.valueOf(ex.getMessage()).contains("no such key")) {
				return false;
			}
			throw ex;
		}
		boolean any = false;
		String next = "-";
		while (next != null) {
			Range<String> range = Range.create(next, "+");
			List<StreamMessage<byte[], byte[]>> part = read(() -> from.xrange(key, range, Limit.create(0, this.page)));
			List<RedisFuture<?>> replies = new ArrayList<>(part.size());
			for (StreamMessage<byte[], byte[]> message : part) {
				replies.add(pipeline.xadd(temporary, new XAddArgs().id(message.getId()), message.getBody()));
			}
			await(replies);
			any |= !part.isEmpty();
			next = (part.size() < this.page) ? null : after(part.get(part.size() - 1).getId());
		}
		if (!any) {
			// an empty stream exists too (all its entries deleted, or made by MKSTREAM)
			to.xgroupCreate(XReadArgs.StreamOffset.from(temporary, "0-0"), EMPTY_STREAM_GROUP,
					XGroupCreateArgs.Builder.mkstream());
			to.xgroupDestroy(temporary, EMPTY_STREAM_GROUP);
		}
		CommandArgs<byte[], byte[]> setId = new CommandArgs<>(CODEC).addKey(temporary)
			.add(text(info.get("last-generated-id")));
		if (this.streamCounters && info.containsKey("entries-added")) {
			setId.add("ENTRIESADDED")
				.add(((Number) info.get("entries-added")).longValue())
				.add("MAXDELETEDID")
				.add(text(info.get("max-deleted-entry-id")));
		}
		to.dispatch(XSETID, new StatusOutput<>(CODEC), setId);
		for (Object group : read(() -> from.xinfoGroups(key))) {
			copyGroup(key, temporary, fields((List<?>) group), to, pipeline);
		}
		return true;
	}

	private void copyGroup(byte[] key, byte[] temporary, Map<String, Object> group, RedisCommands<byte[], byte[]> to,
			RedisAsyncCommands<byte[], byte[]> pipeline) {
		RedisCommands<byte[], byte[]> from = this.source.sync();
		byte[] name = (byte[]) group.get("name");
		XGroupCreateArgs args = new XGroupCreateArgs();
		if (this.streamCounters && group.get("entries-read") instanceof Number read) {
			args.entriesRead(read.longValue());
		}
		to.xgroupCreate(XReadArgs.StreamOffset.from(temporary, text(group.get("last-delivered-id"))), name, args);
		if (this.createConsumers) {
			for (Object consumer : read(() -> from.xinfoConsumers(key, name))) {
				byte[] consumerName = (byte[]) fields((List<?>) consumer).get("name");
				to.xgroupCreateconsumer(temporary, Consumer.from(name, consumerName));
			}
		}
		// the pending entries, each claimed by its consumer with its idle time and
		// delivery count (FORCE: into the group's pending list; an entry no longer in the
		// stream is not claimed)
		Map<String, byte[]> consumers = new HashMap<>();
		String next = "-";
		while (next != null) {
			Range<String> range = Range.create(next, "+");
			List<PendingMessage> part = read(() -> from.xpending(key, name, range, Limit.create(0, this.page)));
			List<RedisFuture<?>> replies = new ArrayList<>(part.size());
			for (PendingMessage pending : part) {
				byte[] consumer = consumers.computeIfAbsent(pending.getConsumer(),
						(c) -> c.getBytes(StandardCharsets.UTF_8));
				replies.add(pipeline.xclaim(temporary, Consumer.from(name, consumer),
						XClaimArgs.Builder.minIdleTime(0)
							.idle(pending.getMsSinceLastDelivery())
							.retryCount(pending.getRedeliveryCount())
							.force()
							.justid(),
						pending.getId()));
			}
			await(replies);
			next = (part.size() < this.page) ? null : after(part.get(part.size() - 1).getId());
		}
	}

	/** The smallest stream id after another. */
	static String after(String id) {
		int dash = id.indexOf('-');
		long ms = Long.parseUnsignedLong(id.substring(0, dash));
		long seq = Long.parseUnsignedLong(id.substring(dash + 1));
		if (seq == -1L) {
			return Long.toUnsignedString(ms + 1) + "-0";
		}
		return Long.toUnsignedString(ms) + "-" + Long.toUnsignedString(seq + 1);
	}

	/** An XINFO reply's flat name-value list as a map. */
	private static Map<String, Object> fields(List<?> reply) {
		Map<String, Object> map = new LinkedHashMap<>();
		for (int i = 0; i + 1 < reply.size(); i += 2) {
			map.put(text(reply.get(i)), reply.get(i + 1));
		}
		return map;
	}

	private static String text(Object value) {
		return (value instanceof byte[] bytes) ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(value);
	}

	private void await(List<RedisFuture<?>> replies) {
		long deadline = System.nanoTime() + this.timeoutNanos;
		for (RedisFuture<?> reply : replies) {
			try {
				reply.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new RedisException("interrupted");
			}
			catch (ExecutionException ex) {
				Throwable cause = ex.getCause();
				throw (cause instanceof RedisException redis) ? redis : new RedisException(cause);
			}
			catch (TimeoutException ex) {
				throw new RedisCommandTimeoutException("a page of writes timed out");
			}
		}
	}

}
