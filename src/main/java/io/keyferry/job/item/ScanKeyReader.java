package io.keyferry.job.item;

import java.util.ArrayList;
import java.util.List;

import io.keyferry.job.JobNames;
import io.keyferry.job.RunMonitor;
import io.keyferry.redis.Backoff;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.KeyScanner;
import io.keyferry.redis.RedisFailures;
import io.keyferry.redis.ScanPage;
import io.keyferry.redis.ScanRange;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.item.ItemStreamReader;

/**
 * Reads keys with SCAN, a batch of keys per item, and checkpoints the cursor of the page
 * in progress. Not thread-safe (Batch 6 reads on the step thread only). Restartable:
 * saves {@code scan.cursor} (the page whose keys are not all written yet, or the next
 * page once a page is fully handed out), {@code scan.done} and the source's
 * {@code run_id} in {@link #update}; a restart re-scans that page, and rescans from the
 * start of its slice when the source process changed, because a cursor is only valid in
 * the process that issued it.
 */
public class ScanKeyReader implements ItemStreamReader<KeyBatch> {

	/**
	 * Pages scanned in one {@link #read()} before an item (possibly empty) is returned.
	 */
	private static final int MAX_PAGES_PER_READ = 16;

	private final KeyScanner scanner;

	private final Endpoint source;

	private final String runId;

	private final int batchSize;

	private final Backoff backoff;

	private final RunMonitor monitor;

	private final String partition;

	private final Throttle throttle;

	private ScanRange range = ScanRange.ALL;

	private double weight = 1;

	private long pageCursor;

	private ScanPage page;

	private int offset;

	private boolean done;

	public ScanKeyReader(KeyScanner scanner, Endpoint source, String runId, int batchSize, Backoff backoff,
			RunMonitor monitor, String partition, Throttle throttle) {
		this.scanner = scanner;
		this.source = source;
		this.runId = runId;
		this.batchSize = batchSize;
		this.backoff = backoff;
		this.monitor = monitor;
		this.partition = partition;
		this.throttle = throttle;
	}

	@Override
	public void open(ExecutionContext context) {
		this.range = new ScanRange(context.getInt(JobNames.RANGE_INDEX, 0), context.getInt(JobNames.RANGE_COUNT, 1));
		this.weight = 1.0 / this.range.count();
		this.done = Boolean.parseBoolean(context.getString(JobNames.DONE, "false"));
		this.pageCursor = context.containsKey(JobNames.CURSOR)
				? Long.parseUnsignedLong(context.getString(JobNames.CURSOR)) : this.range.startCursor();
		String savedRunId = context.getString(JobNames.RUN_ID, null);
		if (!this.done && savedRunId != null && !savedRunId.equals(this.runId)
				&& this.pageCursor != this.range.startCursor()) {
			this.monitor.warn("source " + this.source.redacted() + " is a new server process since the checkpoint "
					+ "(run_id changed: restarted or failed over); its saved SCAN cursor is not valid in the new "
					+ "process, so partition " + this.partition + " is scanned again from the start");
			this.pageCursor = this.range.startCursor();
			context.putInt(JobNames.RESCANS, context.getInt(JobNames.RESCANS, 0) + 1);
		}
		this.page = null;
		this.offset = 0;
		report();
	}

	@Override
	public KeyBatch read() {
		if (this.done) {
			return null;
		}
		List<byte[]> keys = new ArrayList<>(this.batchSize);
		int pages = 0;
		while (keys.size() < this.batchSize) {
			if (this.page != null && this.offset < this.page.keys().size()) {
				int take = Math.min(this.batchSize - keys.size(), this.page.keys().size() - this.offset);
				keys.addAll(this.page.keys().subList(this.offset, this.offset + take));
				this.offset += take;
				continue;
			}
			if (this.page != null) {
				// the page is fully handed out
				if (this.range.isEnd(this.page.nextCursor())) {
					this.done = true;
					break;
				}
				this.pageCursor = this.page.nextCursor();
				this.page = null;
			}
			if (pages == MAX_PAGES_PER_READ) {
				break;
			}
			this.page = scan(this.pageCursor);
			this.offset = 0;
			pages++;
		}
		if (keys.isEmpty() && this.done) {
			return null;
		}
		this.throttle.acquire(keys.size(), this.monitor::isStopRequested);
		return new KeyBatch(keys);
	}

	private ScanPage scan(long cursor) {
		return this.backoff.call(() -> this.scanner.scan(cursor), this.monitor::isStopRequested,
				(failure) -> RedisFailures.describe("source", this.source, failure));
	}

	@Override
	public void update(ExecutionContext context) {
		long checkpoint = this.pageCursor;
		boolean finished = this.done;
		if (!finished && this.page != null && this.offset >= this.page.keys().size()) {
			if (this.range.isEnd(this.page.nextCursor())) {
				finished = true;
			}
			else {
				checkpoint = this.page.nextCursor();
			}
		}
		context.putString(JobNames.CURSOR, Long.toUnsignedString(checkpoint));
		context.putString(JobNames.DONE, Boolean.toString(finished));
		context.putString(JobNames.RUN_ID, this.runId);
		double fraction = finished ? 1 : this.range.fraction(checkpoint);
		context.putDouble(JobNames.FRACTION, fraction);
		this.monitor.position(this.partition, fraction, this.weight);
	}

	private void report() {
		this.monitor.position(this.partition, this.done ? 1 : this.range.fraction(this.pageCursor), this.weight);
	}

	@Override
	public void close() {
	}

}
