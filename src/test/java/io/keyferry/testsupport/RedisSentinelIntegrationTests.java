package io.keyferry.testsupport;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link RedisSentinel}: the master it names, replication, and a failover.
 */
class RedisSentinelIntegrationTests {

	@Test
	void failoverPromotesTheReplicaWithItsData() {
		try (RedisSentinel sentinel = RedisSentinel.start()) {
			RedisServer master = sentinel.master();
			RedisServer replica = sentinel.replica();
			assertThat(master.info("role")).isEqualTo("master");
			assertThat(replica.info("role")).isEqualTo("slave");
			assertThat(sentinel.uri()).isEqualTo("redis-sentinel://127.0.0.1:" + sentinel.port() + "#mymaster");
			master.sync().set("k", "v");
			sentinel.awaitReplicated();
			assertThat(replica.sync().get("k")).isEqualTo("v");

			RedisServer promoted = sentinel.failover();

			assertThat(promoted).isSameAs(replica);
			assertThat(sentinel.master()).isSameAs(replica);
			assertThat(sentinel.replica()).isSameAs(master);
			assertThat(promoted.sync().get("k")).isEqualTo("v");
		}
	}

}
