package io.keyferry.redis;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests of {@link RequiredCommands}: the sets the README lists, per server and option.
 */
class RequiredCommandsTests {

	private static final Endpoint SOURCE = Endpoint.parse("source", "redis://app:pw@10.0.0.1:6379");

	private static final Endpoint TARGET = Endpoint.parse("target", "redis://app:pw@10.0.0.2:6379");

	@Test
	void replaceNeedsFiveCommandsOnTheSourceAndThreeOnTheTarget() {
		assertThat(RequiredCommands.source(SOURCE, ConflictPolicy.REPLACE, null, true)).containsExactly("info", "scan",
				"dump", "pexpiretime", "time");
		assertThat(RequiredCommands.target(TARGET, ConflictPolicy.REPLACE, false, null, "7.0.15"))
			.containsExactly("info", "time", "restore");
	}

	@Test
	void aSourceBeforeRedis7NeedsPttlAndNoClock() {
		assertThat(RequiredCommands.source(SOURCE, ConflictPolicy.REPLACE, null, false)).containsExactly("info", "scan",
				"dump", "pttl");
	}

	@Test
	void skipAndFailCompareValuesByTypeOnBothServers() {
		for (ConflictPolicy policy : new ConflictPolicy[] { ConflictPolicy.SKIP, ConflictPolicy.FAIL }) {
			assertThat(RequiredCommands.source(SOURCE, policy, null, true)).containsExactly("info", "scan", "dump",
					"pexpiretime", "time", "strlen", "getrange", "llen", "lrange", "scard", "sscan", "zcard", "zrange",
					"hlen", "hscan", "xlen", "xrange");
			assertThat(RequiredCommands.target(TARGET, policy, false, null, "7.0.15")).containsExactly("info", "time",
					"restore", "type", "strlen", "getrange", "llen", "lrange", "scard", "smismember", "zcard", "zrange",
					"hlen", "hmget", "xlen", "xrange");
		}
	}

	@Test
	void aTypeFilterNeedsOnlyThatTypesComparison() {
		assertThat(RequiredCommands.source(SOURCE, ConflictPolicy.SKIP, "hash", true)).containsExactly("info", "scan",
				"dump", "pexpiretime", "time", "hlen", "hscan");
		assertThat(RequiredCommands.target(TARGET, ConflictPolicy.FAIL, false, "set", "6.0.20")).containsExactly("info",
				"time", "restore", "type", "scard", "sismember");
	}

	@Test
	void aDryRunWritesNothing() {
		assertThat(RequiredCommands.target(TARGET, ConflictPolicy.REPLACE, true, null, "7.0.15"))
			.containsExactly("info", "time", "ping");
		assertThat(RequiredCommands.target(TARGET, ConflictPolicy.SKIP, true, "string", "7.0.15"))
			.containsExactly("info", "time", "exists", "type", "strlen", "getrange");
	}

	@Test
	void connectingNeedsPingWithoutCredentialsAndSelectForAnotherDatabase() {
		assertThat(RequiredCommands.source(Endpoint.parse("source", "redis://10.0.0.1:6379/3"), ConflictPolicy.REPLACE,
				null, true))
			.startsWith("ping", "select", "info");
		assertThat(RequiredCommands.target(Endpoint.parse("target", "redis://:pw@10.0.0.1:6379"),
				ConflictPolicy.REPLACE, false, null, "7.0.15"))
			.containsExactly("info", "time", "restore");
	}

}
