package io.keyferry.redis;

import java.time.Duration;

import io.keyferry.testsupport.RedisCluster;
import io.keyferry.testsupport.RedisClusterExtension;
import io.lettuce.core.RedisException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link ClusterTarget#identity()} on a real cluster after a failover, read with the map
 * a node gave before it: what a node that has not heard of the failover yet answers for a
 * moment (the same window made the writer loop on {@code MOVED} in CI). The old master, a
 * replica now, must not be taken for the process that holds its slots: the identity fails
 * transiently (retried on a map read again), and with the map of the moment it names the
 * promoted replica.
 */
@ExtendWith(RedisClusterExtension.class)
class ClusterTargetIdentityIntegrationTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	@Test
	void aMapFromBeforeAFailoverIsNotTakenForTheMastersOfTheMoment(RedisCluster cluster) {
		RedisCluster.Node old = cluster.masters().get(1);
		ClusterNodes before = ClusterNodes.parse(cluster.masters().get(0).server().sync().clusterNodes());
		Endpoint seed = Endpoint.parse("target", cluster.seedUri());
		String identityBefore;
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				ClusterTarget target = new ClusterTarget(connector, seed)) {
			identityBefore = target.identity();
		}
		assertThat(identityBefore).contains(old.id() + "@");

		RedisCluster.Node promoted = cluster.failover(old);

		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				ClusterTarget stale = new ClusterTarget(connector, seed, () -> before)) {
			assertThatThrownBy(stale::identity).isInstanceOf(RedisException.class)
				.hasMessageContaining("slot map is behind a failover")
				.hasMessageContaining(old.address());
			assertThat(RedisFailures.classify(catchIdentity(stale))).isEqualTo(RedisFailures.Kind.TRANSIENT);
		}
		try (RedisConnector connector = new RedisConnector(TIMEOUT);
				ClusterTarget now = new ClusterTarget(connector, seed)) {
			String identity = now.identity();
			assertThat(identity).contains(promoted.id() + "@").doesNotContain(old.id()).isNotEqualTo(identityBefore);
		}
	}

	private static Throwable catchIdentity(ClusterTarget target) {
		try {
			target.identity();
		}
		catch (RuntimeException ex) {
			return ex;
		}
		throw new AssertionError("the identity of a stale map was read");
	}

}
