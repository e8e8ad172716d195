package io.keyferry.testsupport;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for {@link ClockShift}; {@code RedisServerIntegrationTests} checks that a server
 * started with it follows the shifted clock.
 */
class ClockShiftTests {

	@Test
	void failsWithWhatToInstallWhenThereIsNoCompiler(@TempDir Path empty) {
		assertThatIllegalStateException().isThrownBy(() -> ClockShift.compile(empty.toString()))
			.withMessage(ClockShift.NO_COMPILER)
			.withMessageContaining("install");
	}

	@Test
	void buildsTheShimAndPreloadsItWithTheOffsetInMilliseconds() {
		Map<String, String> environment = ClockShift.environment(Duration.ofMinutes(-10));

		assertThat(Path.of(environment.get("LD_PRELOAD"))).isRegularFile().hasFileName("libclockshift.so");
		assertThat(environment).containsEntry(ClockShift.VARIABLE, "-600000");
	}

}
