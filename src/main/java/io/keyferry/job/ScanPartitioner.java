package io.keyferry.job;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.batch.core.partition.Partitioner;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * Splits a copy into partitions: one per source node and slice of its SCAN cursor space,
 * each with its own step execution and checkpoint. A standalone source is one node. Names
 * are stable ({@code node0.range0}, …) so that a restart finds the partitions that did
 * not finish.
 */
public class ScanPartitioner implements Partitioner {

	private final String node;

	private final int ranges;

	public ScanPartitioner(String node, int ranges) {
		this.node = node;
		this.ranges = ranges;
	}

	@Override
	public Map<String, ExecutionContext> partition(int gridSize) {
		Map<String, ExecutionContext> partitions = new LinkedHashMap<>();
		for (int range = 0; range < this.ranges; range++) {
			ExecutionContext context = new ExecutionContext();
			context.putString(JobNames.NODE, this.node);
			context.putInt(JobNames.RANGE_INDEX, range);
			context.putInt(JobNames.RANGE_COUNT, this.ranges);
			partitions.put("node0.range" + range, context);
		}
		return partitions;
	}

}
