package io.keyferry.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.keyferry.KeyferryException;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Tests of {@link ValueComparison} against two real servers: equal values of every type
 * (also hash-table sets and hashes whose payloads differ) are held, a difference anywhere
 * is found, and values are read in pieces of bounded size, never whole (counted with the
 * servers' {@code INFO commandstats}).
 */
@ExtendWith(RedisServerExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ValueComparisonIntegrationTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	/** Small pages and pieces, so that small test values span several. */
	private static final int PAGE = 7;

	private static final int PIECE = 5;

	private RedisServer source;

	private RedisServer target;

	private StatefulRedisConnection<byte[], byte[]> sourceConnection;

	private StatefulRedisConnection<byte[], byte[]> targetConnection;

	private ValueComparison comparison;

	@BeforeAll
	void startServers(RedisServer source, RedisServer target) {
		this.source = source;
		this.target = target;
		this.sourceConnection = source.connect();
		this.targetConnection = target.connect();
		this.comparison = new ValueComparison(this.sourceConnection, Endpoint.parse("source", source.uri()),
				this.targetConnection, Endpoint.parse("target", target.uri()), target.version(), TIMEOUT, PAGE, PIECE);
	}

	@AfterAll
	void closeConnections() {
		this.sourceConnection.close();
		this.targetConnection.close();
	}

	@BeforeEach
	void emptyServers() {
		this.source.sync().flushall();
		this.target.sync().flushall();
	}

	@Test
	void equalValuesOfEveryTypeAreHeld() {
		// every type, compact and hash-table encodings, binary names
		List<byte[]> keys = TestData.keys(120).loadInto(this.source);
		for (byte[] key : keys) {
			this.target.binarySync().restore(key, 0, this.source.binarySync().dump(key));
		}

		List<String> notHeld = new ArrayList<>();
		for (byte[] key : keys) {
			if (!this.comparison.targetHolds(dump(key))) {
				notHeld.add(new String(key, StandardCharsets.ISO_8859_1));
			}
		}

		assertThat(notHeld).isEmpty();
	}

	@Test
	void equalHashTableSetsAndHashesWithDifferentPayloadsAreHeld() {
		RedisCommands<String, String> s = this.source.sync();
		RedisCommands<String, String> t = this.target.sync();
		Map<String, String> fields = new HashMap<>();
		for (int i = 0; i < 700; i++) {
			s.sadd("set", "member-" + i);
			fields.put("field-" + i, "value-" + i);
		}
		s.hset("hash", fields);
		// the same content inserted in another order: other hash-table order
		for (int i = 699; i >= 0; i--) {
			t.sadd("set", "member-" + i);
			t.hset("hash", "field-" + i, "value-" + i);
		}
		assertThat(t.objectEncoding("set")).isEqualTo("hashtable");

		assertThat(this.comparison.targetHolds(dump(bytes("set")))).isTrue();
		assertThat(this.comparison.targetHolds(dump(bytes("hash")))).isTrue();
	}

	@Test
	void aDifferenceInTheLastPieceIsFound() {
		RedisCommands<String, String> s = this.source.sync();
		RedisCommands<String, String> t = this.target.sync();
		s.set("string", "abcdefghijklmnopq");
		t.set("string", "abcdefghijklmnopX");
		for (int i = 0; i < 20; i++) {
			s.rpush("list", "e" + i);
			t.rpush("list", (i == 19) ? "X" : "e" + i);
			s.sadd("set", "m" + i);
			t.sadd("set", (i == 19) ? "X" : "m" + i);
			s.zadd("zset", i, "m" + i);
			t.zadd("zset", (i == 19) ? 99 : i, "m" + i);
			s.hset("hash", "f" + i, "v" + i);
			t.hset("hash", "f" + i, (i == 19) ? "X" : "v" + i);
			s.xadd("stream", Map.of("f", "v" + i));
		}
		for (var entry : s.xrange("stream", io.lettuce.core.Range.create("-", "+"))) {
			String value = entry.getBody().get("f");
			t.xadd("stream", new io.lettuce.core.XAddArgs().id(entry.getId()),
					Map.of("f", value.equals("v19") ? "X" : value));
		}

		for (String key : List.of("string", "list", "set", "zset", "hash", "stream")) {
			assertThat(this.comparison.targetHolds(dump(bytes(key)))).as(key).isFalse();
		}
	}

	@Test
	void anotherLengthTypeOrAMissingKeyIsNotHeld() {
		RedisCommands<String, String> s = this.source.sync();
		RedisCommands<String, String> t = this.target.sync();
		s.rpush("longer", "a", "b", "c");
		t.rpush("longer", "a", "b");
		s.set("retyped", "value");
		t.rpush("retyped", "value");
		s.hset("gone", "f", "v");
		byte[] goneDump = this.source.binarySync().dump(bytes("gone"));

		assertThat(this.comparison.targetHolds(dump(bytes("longer")))).isFalse();
		assertThat(this.comparison.targetHolds(dump(bytes("retyped")))).isFalse();
		assertThat(this.comparison.targetHolds(new KeyDump(bytes("gone"), goneDump, KeyDump.PERSISTENT))).isFalse();
	}

	@Test
	void aKeyWhoseSourceTypeChangedSinceItsDumpIsNotHeld() {
		this.source.sync().rpush("key", "a", "b");
		KeyDump listDump = dump(bytes("key"));
		this.target.sync().rpush("key", "a", "b");
		this.source.sync().del("key");
		this.source.sync().set("key", "ab");

		assertThat(this.comparison.targetHolds(listDump)).isFalse();
	}

	@Test
	void largeValuesAreReadInPiecesNeverWhole() {
		RedisCommands<String, String> s = this.source.sync();
		RedisCommands<String, String> t = this.target.sync();
		s.set("string", "x".repeat(100));
		List<String> elements = new ArrayList<>();
		for (int i = 0; i < 70; i++) {
			elements.add("e" + i);
			s.zadd("zset", i, "e" + i);
			s.xadd("stream", Map.of("f", "v" + i));
		}
		s.rpush("list", elements.toArray(String[]::new));
		for (String key : List.of("string", "list", "zset", "stream")) {
			this.target.binarySync().restore(bytes(key), 0, this.source.binarySync().dump(bytes(key)));
		}
		Map<String, KeyDump> dumps = new HashMap<>();
		for (String key : List.of("string", "list", "zset", "stream")) {
			dumps.put(key, dump(bytes(key)));
		}
		s.configResetstat();
		t.configResetstat();

		dumps.forEach((key, dump) -> assertThat(this.comparison.targetHolds(dump)).as(key).isTrue());

		// 100 bytes in pieces of 5, 70 elements in pages of 7 (the stream's last page
		// is empty: a full page does not tell that it was the last)
		for (RedisServer server : List.of(this.source, this.target)) {
			Map<String, Long> calls = calls(server);
			assertThat(calls).containsEntry("getrange", 20L)
				.containsEntry("lrange", 10L)
				.containsEntry("zrange", 10L)
				.containsEntry("xrange", 11L)
				.doesNotContainKeys("get", "dump", "smembers", "hgetall");
		}
	}

	@Test
	void largeSetsAndHashesAreScannedInPagesAndLookedUpByMember() {
		RedisCommands<String, String> s = this.source.sync();
		for (int i = 0; i < 1000; i++) {
			s.sadd("set", "m" + i);
			s.hset("hash", "f" + i, "v" + i);
		}
		for (String key : List.of("set", "hash")) {
			this.target.binarySync().restore(bytes(key), 0, this.source.binarySync().dump(bytes(key)));
		}
		KeyDump set = dump(bytes("set"));
		KeyDump hash = dump(bytes("hash"));
		s.configResetstat();
		this.target.sync().configResetstat();

		assertThat(this.comparison.targetHolds(set)).isTrue();
		assertThat(this.comparison.targetHolds(hash)).isTrue();

		// SCAN's COUNT is a hint: about one call per page of 7, never one for all
		Map<String, Long> sourceCalls = calls(this.source);
		Map<String, Long> targetCalls = calls(this.target);
		assertThat(sourceCalls.get("sscan")).isGreaterThan(1000 / PAGE / 2);
		assertThat(sourceCalls.get("hscan")).isGreaterThan(1000 / PAGE / 2);
		// one lookup per page scanned; SCAN may return a page without elements, which
		// needs none
		assertThat(targetCalls.get("smismember")).isLessThanOrEqualTo(sourceCalls.get("sscan"))
			.isGreaterThan(1000 / PAGE / 2);
		assertThat(targetCalls.get("hmget")).isLessThanOrEqualTo(sourceCalls.get("hscan"))
			.isGreaterThan(1000 / PAGE / 2);
		assertThat(sourceCalls).doesNotContainKeys("smembers", "hgetall", "dump");
		assertThat(targetCalls).doesNotContainKeys("smembers", "hgetall", "dump", "sscan", "hscan");
	}

	@Test
	void differentLengthsAreDecidedWithoutReadingBeyondTheFirstPage() {
		RedisCommands<String, String> s = this.source.sync();
		RedisCommands<String, String> t = this.target.sync();
		for (int i = 0; i < 100; i++) {
			s.rpush("list", "e" + i);
			t.rpush("list", "e" + i);
		}
		t.rpush("list", "one more");
		KeyDump list = dump(bytes("list"));
		s.configResetstat();
		t.configResetstat();

		assertThat(this.comparison.targetHolds(list)).isFalse();

		// the first page is asked for with the lengths
		assertThat(calls(this.source)).containsEntry("llen", 1L).containsEntry("lrange", 1L);
		assertThat(calls(this.target)).containsEntry("llen", 1L).containsEntry("lrange", 1L);
	}

	@Test
	void setsOnATargetWithoutSmismemberAreLookedUpMemberByMember() {
		for (int i = 0; i < 20; i++) {
			this.source.sync().sadd("set", "m" + i);
			this.target.sync().sadd("set", "m" + i);
		}
		ValueComparison before62 = new ValueComparison(this.sourceConnection,
				Endpoint.parse("source", this.source.uri()), this.targetConnection,
				Endpoint.parse("target", this.target.uri()), "6.0.20", TIMEOUT, PAGE, PIECE);
		KeyDump set = dump(bytes("set"));
		this.target.sync().configResetstat();

		assertThat(before62.targetHolds(set)).isTrue();
		assertThat(calls(this.target)).containsEntry("sismember", 20L).doesNotContainKey("smismember");
		assertThat(ValueComparison.targetCommands("set", "6.0.20")).containsExactly("type", "scard", "sismember");
		assertThat(ValueComparison.targetCommands("set", "6.2.0")).containsExactly("type", "scard", "smismember");
	}

	@Test
	void aRefusedCommandNamesTheServerAndTheCommand() {
		this.source.sync().set("key", "value");
		this.target.sync().set("key", "value");
		this.target.sync()
			.aclSetuser("no-getrange",
					io.lettuce.core.AclSetuserArgs.Builder.on()
						.addPassword("pw")
						.allKeys()
						.allCommands()
						.removeCommand(io.lettuce.core.protocol.CommandType.GETRANGE));
		Endpoint limited = Endpoint.parse("target", this.target.uri("no-getrange", "pw"));
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				RedisConnector.Connection connection = connector.connect(limited)) {
			ValueComparison refused = new ValueComparison(this.sourceConnection,
					Endpoint.parse("source", this.source.uri()), connection.connection(), limited,
					this.target.version(), TIMEOUT);

			assertThatThrownBy(() -> refused.targetHolds(dump(bytes("key")))).isInstanceOf(KeyferryException.class)
				.hasMessageStartingWith("the target user no-getrange lacks a permission: NOPERM")
				.hasMessageContaining("'getrange'")
				.satisfies((ex) -> assertThat(((KeyferryException) ex).getHint())
					.startsWith("grant it on the target redis://no-getrange@127.0.0.1:" + this.target.port()
							+ "/0: ACL SETUSER no-getrange +getrange"));
		}
		finally {
			this.target.sync().aclDeluser("no-getrange");
		}
	}

	@Test
	void streamIdSuccessorsCarryIntoTheMilliseconds() {
		assertThat(ValueComparison.successor("5-0")).isEqualTo("5-1");
		assertThat(ValueComparison.successor("5-18446744073709551615")).isEqualTo("6-0");
	}

	private KeyDump dump(byte[] key) {
		return new KeyDump(key, this.source.binarySync().dump(key), KeyDump.PERSISTENT);
	}

	private static Map<String, Long> calls(RedisServer server) {
		Map<String, Long> calls = new HashMap<>();
		server.sync().info("commandstats").lines().filter((line) -> line.startsWith("cmdstat_")).forEach((line) -> {
			String name = line.substring("cmdstat_".length(), line.indexOf(':'));
			String count = line.substring(line.indexOf("calls=") + "calls=".length(), line.indexOf(','));
			calls.put(name, Long.parseLong(count));
		});
		// the test's own commands on its fixture connection
		calls.remove("info");
		return calls;
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

}
