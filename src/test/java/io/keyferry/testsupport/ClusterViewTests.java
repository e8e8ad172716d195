package io.keyferry.testsupport;

import java.util.BitSet;

import io.keyferry.testsupport.ClusterView.Entry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link ClusterView}.
 */
class ClusterViewTests {

	private static final String A = "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca";

	private static final String B = "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1";

	private static final String C = "292f8b365bb7edb5e285caf0b7e6ddc7265a2f4d";

	private static final String REPLICA_OF_A = "07c37dfeb235213a872192d90877d0cd55635b91";

	private static final String FAILED_REPLICA_OF_C = "824fe116063bc5fcf9f4ffd895bc17aee7731ac3";

	private static final String NODES = REPLICA_OF_A + " 127.0.0.1:30004@40004,host4 slave " + A
			+ " 0 1426238317239 4 connected\n" + B
			+ " 127.0.0.1:30002@40002 master - 0 1426238316232 2 connected 5461-10922\n" + C
			+ " 127.0.0.1:30003@40003 master - 0 1426238318243 3 connected 10923-16383\n" + FAILED_REPLICA_OF_C
			+ " 127.0.0.1:30006@40006 slave,fail " + C + " 0 1426238317741 6 disconnected\n" + A
			+ " 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5459 5460 [5461-<-" + B + "] [93->-" + C
			+ "]\n";

	@Test
	void parsesRolesPortsAndFlags() {
		ClusterView view = ClusterView.parse(NODES);

		assertThat(view.entries()).containsOnlyKeys(A, B, C, REPLICA_OF_A, FAILED_REPLICA_OF_C);
		Entry myself = view.myself();
		assertThat(myself.id()).isEqualTo(A);
		assertThat(myself.port()).isEqualTo(30001);
		assertThat(myself.master()).isTrue();
		assertThat(myself.unhealthy()).isFalse();
		Entry replica = view.entry(REPLICA_OF_A).orElseThrow();
		assertThat(replica.port()).isEqualTo(30004);
		assertThat(replica.replica()).isTrue();
		assertThat(replica.masterId()).isEqualTo(A);
		Entry failed = view.entry(FAILED_REPLICA_OF_C).orElseThrow();
		assertThat(failed.failed()).isTrue();
		assertThat(failed.unhealthy()).isTrue();
		assertThat(view.replicasOf(A)).containsExactly(REPLICA_OF_A);
		assertThat(view.replicasOf(C)).containsExactly(FAILED_REPLICA_OF_C);
		assertThat(view.replicasOf(B)).isEmpty();
	}

	@Test
	void readsSlotRangesAndKeepsMigrationsApart() {
		ClusterView view = ClusterView.parse(NODES);

		assertThat(view.slotsOf(A)).hasSize(5461).startsWith(0).endsWith(5460);
		assertThat(view.slotsOf(B)).hasSize(5462).startsWith(5461);
		assertThat(view.slotsOf(REPLICA_OF_A)).isEmpty();
		assertThat(view.ownerOf(93)).contains(A);
		assertThat(view.ownerOf(5461)).contains(B);
		assertThat(view.ownerOf(16383)).contains(C);
		assertThat(view.assignedSlots()).isEqualTo(16384);
		assertThat(view.myself().migrations()).containsExactly("[5461-<-" + B + "]", "[93->-" + C + "]");
		assertThat(view.myself().agreement()).isEqualTo(A + " master 0-5460");
		assertThat(view.entry(REPLICA_OF_A).orElseThrow().agreement())
			.isEqualTo(REPLICA_OF_A + " replica of " + A + " -");
	}

	@Test
	void slotsWithoutMasterAreNotAssigned() {
		ClusterView view = ClusterView.parse(A + " 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-99\n");

		assertThat(view.assignedSlots()).isEqualTo(100);
		assertThat(view.ownerOf(100)).isEmpty();
	}

	@Test
	void writesSlotsAsRanges() {
		BitSet slots = new BitSet();
		assertThat(ClusterView.ranges(slots)).isEqualTo("-");
		slots.set(0, 5461);
		slots.set(7000);
		slots.set(16000, 16384);
		assertThat(ClusterView.ranges(slots)).isEqualTo("0-5460,7000,16000-16383");
	}

	@Test
	void rejectsWhatIsNotClusterNodes() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ClusterView.parse("ERR This instance has cluster support disabled"))
			.withMessageContaining("not a CLUSTER NODES line");
	}

}
