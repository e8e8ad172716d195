package io.keyferry.job;

import io.keyferry.job.item.Checkpoint;
import java.util.BitSet;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.step.StepExecution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * How far an execution's partitions have scanned the source, and the names of a cluster
 * master's partitions.
 */
class SourceLayoutTests {

	private final JobExecution job = new JobExecution(1, new JobInstance(1, JobNames.JOB), new JobParameters());

	@Test
	void slicesOfOneNodeAddUp() {
		List<StepExecution> steps = List.of(partition(10, "node0.range0", 1.0, 2),
				partition(11, "node0.range1", 0.5, 2), new StepExecution(12, JobNames.STEP, this.job));
		assertThat(SourceLayout.scanned(steps).getAsDouble()).isCloseTo(0.75, within(1e-9));
	}

	@Test
	void theMastersOfAClusterWeighAlike() {
		// three masters, one slice each: all done but one half done is 5/6, not 100%
		List<StepExecution> steps = List.of(partition(10, "s0-5460.range0", 1.0, 1),
				partition(11, "s5461-10922.range0", 1.0, 1), partition(12, "s10923-16383.range0", 0.5, 1));
		assertThat(SourceLayout.scanned(steps).getAsDouble()).isCloseTo(2.5 / 3, within(1e-9));
	}

	@Test
	void theDatabasesOfAnAllDatabasesRunWeighByTheirShareOfTheKeys() {
		// db0 holds 90% of the keys and is done; db3 (10%, two slices) is half done
		StepExecution db0 = partition(10, "db0.node0.range0", 1.0, 1);
		db0.getExecutionContext().putDouble(Checkpoint.DATABASE_SHARE, 0.9);
		StepExecution db3a = partition(11, "db3.node0.range0", 1.0, 2);
		db3a.getExecutionContext().putDouble(Checkpoint.DATABASE_SHARE, 0.1);
		StepExecution db3b = partition(12, "db3.node0.range1", 0.0, 2);
		db3b.getExecutionContext().putDouble(Checkpoint.DATABASE_SHARE, 0.1);
		assertThat(SourceLayout.scanned(List.of(db0, db3a, db3b)).getAsDouble()).isCloseTo(0.95, within(1e-9));
	}

	@Test
	void aPartitionRunAgainInALaterPassCountsByItsLatestRun() {
		List<StepExecution> steps = List.of(partition(10, "node0.range0", 1.0, 1),
				partition(20, "node0.range0", 0.1, 1));
		assertThat(SourceLayout.scanned(steps).getAsDouble()).isCloseTo(0.1, within(1e-9));
	}

	@Test
	void noPartitionYetHasNoFraction() {
		assertThat(SourceLayout.scanned(List.of(new StepExecution(12, JobNames.STEP, this.job)))).isEmpty();
	}

	@Test
	void slotSetsAreNamedShortlyAndStably() {
		BitSet contiguous = new BitSet();
		contiguous.set(0, 5461);
		assertThat(SourceLayout.name(contiguous)).isEqualTo("s0-5460");
		BitSet fragmented = new BitSet();
		fragmented.set(0, 500);
		fragmented.set(10923, 16384);
		assertThat(SourceLayout.name(fragmented)).startsWith("s0-16383-")
			.isEqualTo(SourceLayout.name((BitSet) fragmented.clone()))
			.hasSizeLessThan(30);
	}

	private StepExecution partition(long id, String name, double fraction, int ranges) {
		StepExecution step = new StepExecution(id, JobNames.PARTITION_STEP + ":" + name, this.job);
		step.getExecutionContext().putDouble(Checkpoint.FRACTION, fraction);
		step.getExecutionContext().putInt(Checkpoint.RANGE_COUNT, ranges);
		return step;
	}

}
