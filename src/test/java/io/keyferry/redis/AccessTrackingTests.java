package io.keyferry.redis;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link AccessTracking}: which policies track what, and what a copy can carry
 * from a source to a target ({@code OBJECT FREQ} answers only under an LFU policy,
 * {@code OBJECT IDLETIME} under any other).
 */
class AccessTrackingTests {

	@Test
	void policiesTrackIdleTimesOrFrequenciesOrNeither() {
		assertThat(AccessTracking.ofPolicy("allkeys-lru")).isEqualTo(AccessTracking.LRU);
		assertThat(AccessTracking.ofPolicy("volatile-lru")).isEqualTo(AccessTracking.LRU);
		assertThat(AccessTracking.ofPolicy("allkeys-lfu")).isEqualTo(AccessTracking.LFU);
		assertThat(AccessTracking.ofPolicy("VOLATILE-LFU ")).isEqualTo(AccessTracking.LFU);
		for (String policy : new String[] { "noeviction", "allkeys-random", "volatile-random", "volatile-ttl", "",
				null }) {
			assertThat(AccessTracking.ofPolicy(policy)).as(policy).isEqualTo(AccessTracking.NONE);
		}
	}

	@Test
	void anLruTargetGetsIdleTimesFromAnySourceButAnLfuOne() {
		assertThat(AccessTracking.carried(AccessTracking.NONE, AccessTracking.LRU)).isEqualTo(AccessTracking.LRU);
		assertThat(AccessTracking.carried(AccessTracking.LRU, AccessTracking.LRU)).isEqualTo(AccessTracking.LRU);
		assertThat(AccessTracking.carried(AccessTracking.LFU, AccessTracking.LRU)).isEqualTo(AccessTracking.NONE);
	}

	@Test
	void anLfuTargetGetsFrequenciesOnlyFromAnLfuSource() {
		assertThat(AccessTracking.carried(AccessTracking.LFU, AccessTracking.LFU)).isEqualTo(AccessTracking.LFU);
		assertThat(AccessTracking.carried(AccessTracking.LRU, AccessTracking.LFU)).isEqualTo(AccessTracking.NONE);
		assertThat(AccessTracking.carried(AccessTracking.NONE, AccessTracking.LFU)).isEqualTo(AccessTracking.NONE);
	}

	@Test
	void aTargetThatEvictsByNeitherGetsNothing() {
		for (AccessTracking source : AccessTracking.values()) {
			assertThat(AccessTracking.carried(source, AccessTracking.NONE)).isEqualTo(AccessTracking.NONE);
		}
	}

	@Test
	void noTouchExistsFromRedis72() {
		assertThat(AccessTracking.hasNoTouch("7.2.0")).isTrue();
		assertThat(AccessTracking.hasNoTouch("8.0.2")).isTrue();
		assertThat(AccessTracking.hasNoTouch("7.0.15")).isFalse();
		assertThat(AccessTracking.hasNoTouch("6.2.6")).isFalse();
		assertThat(AccessTracking.hasNoTouch(null)).isFalse();
	}

	@Test
	void theSourceCommandIsTheSubcommandAclRulesName() {
		assertThat(AccessTracking.LRU.sourceCommand()).isEqualTo("object|idletime");
		assertThat(AccessTracking.LFU.sourceCommand()).isEqualTo("object|freq");
		assertThat(AccessTracking.NONE.sourceCommand()).isNull();
	}

}
