package io.keyferry.redis;

import java.util.BitSet;

import io.lettuce.core.cluster.SlotHash;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests of {@link ClusterSource}'s pure parts: the probe key of a set of slots and the
 * replicas of a master in a topology.
 */
class ClusterSourceTests {

	@ParameterizedTest
	@ValueSource(strings = { "0", "16383", "5461", "0-5460", "10923-16383", "1,77,9000" })
	void theReadOnlyProbeKeyIsInOneOfTheSlots(String ranges) {
		BitSet slots = ClusterSource.parseRanges(ranges);

		byte[] key = ClusterSource.keyIn(slots);

		assertThat(slots.get(SlotHash.getSlot(key))).isTrue();
	}

	@Test
	void noSlotHasNoProbeKey() {
		assertThat(ClusterSource.keyIn(new BitSet())).isNull();
	}

	@Test
	void theReplicasOfAMasterAreTheLiveOnesByNodeId() {
		ClusterNodes topology = ClusterNodes.parse("""
				m1 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-8191
				m2 127.0.0.1:7002@17002 master - 0 0 2 connected 8192-16383
				r3 127.0.0.1:7005@17005 slave m1 0 0 1 connected
				r2 127.0.0.1:7004@17004 slave m1 0 0 1 connected
				r1 127.0.0.1:7003@17003 slave,fail m1 0 0 1 connected
				r4 127.0.0.1:7006@17006 slave m2 0 0 2 connected
				""");
		ClusterNodes.Node m1 = topology.node("m1").orElseThrow();

		assertThat(topology.replicasOf(m1)).extracting(ClusterNodes.Node::id).containsExactly("r2", "r3");
		assertThat(topology.node("r4").orElseThrow().masterId()).isEqualTo("m2");
	}

}
