package io.keyferry.redis;

import io.keyferry.testsupport.RedisServer;

/**
 * What a server counted for one command, from {@code INFO commandstats}: calls it ran
 * (including those that replied with an error, such as BUSYKEY), and calls it refused
 * before running them (OOM, READONLY).
 *
 * @param calls the calls run
 * @param rejectedCalls the calls refused
 */
record CommandStats(long calls, long rejectedCalls) {

	static CommandStats of(RedisServer server, String command) {
		String prefix = "cmdstat_" + command.toLowerCase(java.util.Locale.ROOT) + ":";
		return server.sync()
			.info("commandstats")
			.lines()
			.filter((line) -> line.startsWith(prefix))
			.map((line) -> new CommandStats(field(line, "calls"), field(line, "rejected_calls")))
			.findFirst()
			.orElse(new CommandStats(0, 0));
	}

	private static long field(String line, String name) {
		for (String pair : line.substring(line.indexOf(':') + 1).trim().split(",")) {
			int equals = pair.indexOf('=');
			if (pair.substring(0, equals).equals(name)) {
				return Long.parseLong(pair.substring(equals + 1));
			}
		}
		return 0;
	}

}
