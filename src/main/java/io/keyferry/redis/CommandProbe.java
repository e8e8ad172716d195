package io.keyferry.redis;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.ProtocolKeyword;

/**
 * Finds out, without changing anything, which commands a server refuses to run for the
 * connected user: it runs each one, pipelined, in a form without effect.
 * <p>
 * Why run the commands themselves: {@code ACL DRYRUN} (Redis 7+) and
 * {@code ACL WHOAMI}/{@code ACL GETUSER} need permissions of their own that a
 * least-privilege user does not have, managed services often refuse {@code ACL}
 * altogether, and reading rules would mean re-implementing Redis's ACL evaluation
 * (categories, selectors). Running the command is the one test that holds for exactly the
 * permissions the copy needs. Each probe reads a key that cannot exist (a random name),
 * or is refused after the permission check and before it changes anything
 * ({@code RESTORE} of an invalid payload). Redis checks a command's permission before its
 * keys', so a refusal of the probe's key (the user's key patterns do not cover it) still
 * proves the command itself is allowed. The two commands that always create their key
 * ({@code SADD}, {@code RPUSH}: the type-by-type writes) are probed last, only when
 * {@code DEL} is allowed, and their random key is deleted in the same pipeline.
 * Stateless.
 */
public final class CommandProbe {

	private static final ByteArrayCodec CODEC = ByteArrayCodec.INSTANCE;

	/**
	 * A command the server refused.
	 *
	 * @param command the command, lower case
	 * @param unknown whether the server does not know the command (renamed or disabled),
	 * rather than denying it to the user
	 * @param reply the server's reply
	 */
	public record Refusal(String command, boolean unknown, String reply) {

	}

	private CommandProbe() {
	}

	/**
	 * Probes the commands.
	 * @param connection the connection, authenticated as the copy's user
	 * @param endpoint the server (its database, and for messages)
	 * @param commands the command names, lower case
	 * @param timeout how long to wait for the replies
	 * @return the refused commands, in the given order
	 * @throws io.keyferry.KeyferryException when the server fails otherwise
	 */
	public static List<Refusal> refusals(StatefulRedisConnection<byte[], byte[]> connection, Endpoint endpoint,
			List<String> commands, Duration timeout) {
		List<String> harmless = commands.stream().filter((c) -> !CREATING.contains(c)).toList();
		List<String> creating = commands.stream().filter(CREATING::contains).toList();
		List<Refusal> refusals = probe(connection, endpoint, harmless, timeout, false);
		boolean delete = harmless.contains("del") && refusals.stream().noneMatch((r) -> r.command().equals("del"));
		if (!creating.isEmpty() && delete) {
			refusals = new ArrayList<>(refusals);
			refusals.addAll(probe(connection, endpoint, creating, timeout, true));
		}
		return refusals;
	}

	/** Commands without a form that leaves a missing key missing. */
	private static final java.util.Set<String> CREATING = java.util.Set.of("sadd", "rpush");

	private static List<Refusal> probe(StatefulRedisConnection<byte[], byte[]> connection, Endpoint endpoint,
			List<String> commands, Duration timeout, boolean deleteAfter) {
		byte[] key = ("keyferry:probe:" + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
		List<RedisFuture<Void>> replies = new ArrayList<>(commands.size());
		for (String command : commands) {
			replies.add(connection.async()
				.dispatch(keyword(command), new Ignored(), arguments(command, key, endpoint.database())));
		}
		if (deleteAfter) {
			// sent after the probes on the same connection: runs after them
			connection.async().dispatch(CommandType.DEL, new Ignored(), new CommandArgs<>(CODEC).addKey(key));
		}
		List<Refusal> refusals = new ArrayList<>();
		for (int i = 0; i < commands.size(); i++) {
			try {
				LettuceFutures.awaitOrCancel(replies.get(i), timeout.toNanos(), TimeUnit.NANOSECONDS);
			}
			catch (RedisCommandExecutionException ex) {
				String reply = String.valueOf(ex.getMessage());
				if (isCommandDenied(reply) || isUnknownCommand(reply)) {
					refusals.add(new Refusal(commands.get(i), !isCommandDenied(reply), reply));
				}
				// any other error comes from running the command: it is allowed
			}
			catch (RuntimeException ex) {
				throw RedisFailures.describe(endpoint.role(), endpoint, ex);
			}
		}
		return refusals;
	}

	/**
	 * Whether a reply denies the user a command (rather than a key or a channel).
	 * @param reply the error reply
	 * @return true for e.g. {@code NOPERM User app has no permissions to run the 'dump'
	 * command}
	 */
	public static boolean isCommandDenied(String reply) {
		// 6.2: "... to run the 'x' command or its subcommand", 7.0: "... to run the 'x'
		// command", 7.2+: "User u has no permissions to run the 'x' command"; keys:
		// "... to access one of the keys ..." / "No permissions to access a key"
		return RedisFailures.code(reply).equals("NOPERM") && reply.contains("to run the");
	}

	private static boolean isUnknownCommand(String reply) {
		return reply.toLowerCase(Locale.ROOT).contains("unknown command");
	}

	private static ProtocolKeyword keyword(String command) {
		// a subcommand as ACL rules spell it (object|freq): the command, the subcommand
		// its first argument
		int bar = command.indexOf('|');
		String name = (bar >= 0) ? command.substring(0, bar) : command;
		byte[] bytes = name.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
		return new ProtocolKeyword() {

			@Override
			public byte[] getBytes() {
				return bytes;
			}

			@Override
			public String toString() {
				return name.toUpperCase(Locale.ROOT);
			}

		};
	}

	static CommandArgs<byte[], byte[]> arguments(String command, byte[] key, int database) {
		CommandArgs<byte[], byte[]> args = new CommandArgs<>(CODEC);
		switch (command) {
			case "info" -> args.add("server");
			case "scan" -> args.add(0).add("COUNT").add(1);
			// READONLY only changes the probe's own connection
			case "time", "ping", "asking", "readonly" -> {
			}
			case "cluster" -> args.add("NODES");
			case "select" -> args.add(database);
			// a library that cannot exist: nothing listed
			case "function" -> args.add("LIST").add("LIBRARYNAME").addKey(key);
			case "getrange", "lrange", "zrange" -> args.addKey(key).add(0).add(0);
			case "sscan", "hscan", "zscan" -> args.addKey(key).add(0).add("COUNT").add(1);
			// type-by-type reads: a missing key or group is an error after the
			// permission check
			case "xinfo" -> args.add("STREAM").addKey(key);
			case "memory" -> args.add("USAGE").addKey(key);
			case "xpending" -> args.addKey(key).add("g");
			// type-by-type writes, in forms that fail after the permission check or do
			// nothing to a missing key
			case "pexpireat" -> args.addKey(key).add(1);
			case "rename", "renamenx" -> args.addKey(key).addKey(key);
			case "set" -> args.addKey(key).addValue(new byte[] { 'v' }).add("XX");
			case "setrange" -> args.addKey(key).add(0).addValue(new byte[0]);
			case "hset" ->
				args.addKey(key).addValue(new byte[] { 'f' }).addValue(new byte[] { 'v' }).addValue(new byte[] { 'f' });
			case "zadd" -> args.addKey(key).add("NX").add("XX").add(1).addValue(new byte[] { 'm' });
			case "xadd" -> args.addKey(key).add("0-0").addValue(new byte[] { 'f' }).addValue(new byte[] { 'v' });
			case "xgroup" -> args.add("CREATE").addKey(key).add("g").add("$");
			case "xsetid" -> args.addKey(key).add("0-1");
			case "xclaim" -> args.addKey(key).add("g").add("c").add(0).add("0-1");
			// probed last and deleted at once (see CREATING)
			case "sadd", "rpush" -> args.addKey(key).addValue(new byte[] { 'm' });
			case "smismember", "sismember" -> args.addKey(key).addValue(new byte[] { 'm' });
			case "hmget" -> args.addKey(key).addValue(new byte[] { 'f' });
			case "xrange" -> args.addKey(key).add("-").add("+").add("COUNT").add(1);
			// a missing key: nil, before the policy check that makes FREQ fail under a
			// policy that is not LFU
			case "object|idletime" -> args.add("IDLETIME").addKey(key);
			case "object|freq" -> args.add("FREQ").addKey(key);
			// an invalid payload: refused after the permission check, nothing written
			case "restore" -> args.addKey(key).add(0).addValue(new byte[] { 0 });
			case "del", "unlink", "dump", "pexpiretime", "pttl", "exists", "type", "strlen", "llen", "scard", "zcard",
					"hlen", "xlen" ->
				args.addKey(key);
			default -> throw new IllegalArgumentException("no probe for command " + command);
		}
		return args;
	}

	/** Discards a reply: only whether it is an error matters. */
	private static final class Ignored extends CommandOutput<byte[], byte[], Void> {

		Ignored() {
			super(CODEC, null);
		}

		@Override
		public void set(ByteBuffer bytes) {
		}

		@Override
		public void set(long integer) {
		}

		@Override
		public void set(double number) {
		}

		@Override
		public void set(boolean value) {
		}

		@Override
		public void multi(int count) {
		}

	}

}
