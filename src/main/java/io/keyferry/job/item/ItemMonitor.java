package io.keyferry.job.item;

/**
 * What the reader, processor and writer of a partition report to the run they belong to,
 * and ask of it. Implementations are thread-safe: the partitions run at once.
 */
public interface ItemMonitor {

	/**
	 * Says something the operator should know, on stderr.
	 * @param message the message, without a {@code warning:} prefix
	 */
	void warn(String message);

	/**
	 * Adds the counts of a chunk that was written.
	 * @param counts the chunk's counts
	 */
	void chunkWritten(KeyCounts counts);

	/**
	 * Records how far a partition has scanned.
	 * @param partition the partition's name
	 * @param fraction its position, 0 to 1
	 * @param weight its share of the whole keyspace
	 */
	void position(String partition, double fraction, double weight);

	/**
	 * Whether a stop was requested: retries end, the partition stops at its next chunk.
	 * @return true once requested
	 */
	boolean isStopRequested();

}
