package io.keyferry.job.item;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.keyferry.redis.Backoff;
import io.keyferry.redis.ClusterSource;
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
 * page once a page is fully handed out), {@code scan.done} and the run_ids of the source
 * and target processes in {@link #update}; a restart re-scans that page. Both processes
 * are checked when the partition opens and before every checkpoint (so also after any
 * reconnection): when either changed ({@link ServerIdentities}), the partition starts
 * again from the first page of its slice, finished or not, and says so.
 * <p>
 * A reader that {@linkplain #countsEachKeyOnce() counts each key once} (verify) also
 * saves which keys of the page in progress it has handed out
 * ({@link Checkpoint#PAGE_DONE}, as 64-bit hashes, at most a page's worth); a restart
 * re-scans that page (never "N keys into it") but leaves those keys out, so that they are
 * not checked and counted twice. Two different keys of one page sharing a 64-bit hash
 * would leave one unchecked: with pages of a few thousand keys the odds are below 1 in
 * 10^12.
 */
public class ScanKeyReader implements ItemStreamReader<KeyBatch> {

	/**
	 * Pages scanned in one {@link #read()} before an item (possibly empty) is returned.
	 */
	private static final int MAX_PAGES_PER_READ = 16;

	private final KeyScanner scanner;

	private final Endpoint source;

	private final ServerIdentities identities;

	private final long stepExecutionId;

	private final int batchSize;

	private final Backoff backoff;

	private final ItemMonitor monitor;

	private final String partition;

	private final Throttle throttle;

	private final boolean countsEachKeyOnce;

	/**
	 * Hashes of the keys of the current page handed out so far (only when counting once).
	 */
	private final Set<Long> handedOut = new HashSet<>();

	/**
	 * Hashes of the keys of the checkpoint's page that an earlier execution handed out
	 * and committed; used on the first page read after {@link #open}.
	 */
	private Set<Long> committedOfPage = Set.of();

	private ScanRange range = ScanRange.ALL;

	private double weight = 1;

	private long pageCursor;

	private ScanPage page;

	private int offset;

	private boolean done;

	/** The processes the checkpoint and the keys written since belong to. */
	private ServerIdentities.Ids ids;

	private int rescans;

	/**
	 * Whether this partition stops before the end of its slice in this pass: the server
	 * it scans changed under it, and the next pass scans the right one (see
	 * {@code RescanningPartitionHandler}).
	 */
	private boolean halted;

	public ScanKeyReader(KeyScanner scanner, Endpoint source, ServerIdentities identities, long stepExecutionId,
			int batchSize, Backoff backoff, ItemMonitor monitor, String partition, Throttle throttle) {
		this(scanner, source, identities, stepExecutionId, batchSize, backoff, monitor, partition, throttle, false);
	}

	/**
	 * A reader that may count each key once across a restart (see the class comment).
	 * @param countsEachKeyOnce whether a restart leaves out the keys of the page in
	 * progress that were already handed out and committed
	 */
	public ScanKeyReader(KeyScanner scanner, Endpoint source, ServerIdentities identities, long stepExecutionId,
			int batchSize, Backoff backoff, ItemMonitor monitor, String partition, Throttle throttle,
			boolean countsEachKeyOnce) {
		this.countsEachKeyOnce = countsEachKeyOnce;
		this.scanner = scanner;
		this.source = source;
		this.identities = identities;
		this.stepExecutionId = stepExecutionId;
		this.batchSize = batchSize;
		this.backoff = backoff;
		this.monitor = monitor;
		this.partition = partition;
		this.throttle = throttle;
	}

	@Override
	public void open(ExecutionContext context) {
		this.range = new ScanRange(context.getInt(Checkpoint.RANGE_INDEX, 0),
				context.getInt(Checkpoint.RANGE_COUNT, 1));
		this.weight = context.getDouble(Checkpoint.DATABASE_SHARE, 1.0) / this.range.count();
		this.done = Boolean.parseBoolean(context.getString(Checkpoint.DONE, "false"));
		this.pageCursor = context.containsKey(Checkpoint.CURSOR)
				? Long.parseUnsignedLong(context.getString(Checkpoint.CURSOR)) : this.range.startCursor();
		// rescans are counted per step execution, like the key counts
		this.rescans = (context.getLong(Checkpoint.RESCANS_EXECUTION, -1) == this.stepExecutionId)
				? context.getInt(Checkpoint.RESCANS, 0) : 0;
		this.page = null;
		this.offset = 0;
		this.halted = false;
		this.handedOut.clear();
		this.committedOfPage = (this.countsEachKeyOnce && !this.done)
				? hashes(context.getString(Checkpoint.PAGE_DONE, "")) : Set.of();
		ServerIdentities.Ids now = currentIds();
		String changed = this.identities.changed(ServerIdentities.Ids.savedIn(context), now);
		this.ids = now;
		if (now.source().startsWith(ClusterSource.UNSTABLE)) {
			// e.g. its slots are being migrated: a scan now would not cover them
			this.monitor.warn("source " + now.source().substring(ClusterSource.UNSTABLE.length()) + ": partition "
					+ this.partition + " waits for the next pass");
			this.done = false;
			this.halted = true;
		}
		else if (changed != null && (this.done || this.pageCursor != this.range.startCursor())) {
			startAgain(changed);
		}
		report();
	}

	/**
	 * Goes back to the first page of the slice: what was scanned or written so far
	 * belongs to processes that are gone.
	 */
	private void startAgain(String reason) {
		this.monitor.warn(reason + "; partition " + this.partition + " is scanned again from the start"
				+ (this.done ? " (it had finished)" : ""));
		this.done = false;
		this.pageCursor = this.range.startCursor();
		this.page = null;
		this.offset = 0;
		this.handedOut.clear();
		this.committedOfPage = Set.of();
		this.rescans++;
	}

	private ServerIdentities.Ids currentIds() {
		return this.identities.current(this.backoff, this.monitor::isStopRequested);
	}

	@Override
	public KeyBatch read() {
		if (this.done || this.halted) {
			return null;
		}
		List<byte[]> keys = new ArrayList<>(this.batchSize);
		int pages = 0;
		while (keys.size() < this.batchSize) {
			if (this.page != null && this.offset < this.page.keys().size()) {
				int take = Math.min(this.batchSize - keys.size(), this.page.keys().size() - this.offset);
				List<byte[]> taken = this.page.keys().subList(this.offset, this.offset + take);
				this.offset += take;
				if (this.countsEachKeyOnce) {
					for (byte[] key : taken) {
						long hash = hash(key);
						if (this.handedOut.add(hash) && !this.committedOfPage.contains(hash)) {
							keys.add(key);
						}
					}
				}
				else {
					keys.addAll(taken);
				}
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
				this.handedOut.clear();
				this.committedOfPage = Set.of();
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
		// the keys of this chunk are written; were they scanned, and written, in the
		// processes the checkpoint names? A reconnection may have led to new ones.
		ServerIdentities.Ids now = currentIds();
		String changed = this.identities.changed(this.ids, now);
		this.ids = now;
		if (changed != null) {
			// the connection may lead to a server that no longer serves this partition:
			// the next pass opens the right one
			startAgain(changed);
			this.halted = true;
		}
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
		context.putString(Checkpoint.CURSOR, Long.toUnsignedString(checkpoint));
		if (this.countsEachKeyOnce) {
			// the keys of the checkpoint's page handed out so far are all written now
			boolean samePage = !finished && checkpoint == this.pageCursor && !this.halted;
			context.putString(Checkpoint.PAGE_DONE, samePage ? hexes(this.handedOut, this.committedOfPage) : "");
		}
		context.putString(Checkpoint.DONE, Boolean.toString(finished));
		this.ids.saveIn(context);
		context.putLong(Checkpoint.RESCANS_EXECUTION, this.stepExecutionId);
		context.putInt(Checkpoint.RESCANS, this.rescans);
		double fraction = finished ? 1 : this.range.fraction(checkpoint);
		context.putDouble(Checkpoint.FRACTION, fraction);
		this.monitor.position(this.partition, fraction, this.weight);
	}

	/** Whether a restart leaves out the keys of its page already handed out. */
	boolean countsEachKeyOnce() {
		return this.countsEachKeyOnce;
	}

	/** FNV-1a, 64 bits. */
	static long hash(byte[] key) {
		long hash = 0xcbf29ce484222325L;
		for (byte b : key) {
			hash ^= (b & 0xff);
			hash *= 0x100000001b3L;
		}
		return hash;
	}

	private static String hexes(Set<Long> first, Set<Long> second) {
		Set<Long> all = new HashSet<>(first);
		all.addAll(second);
		StringBuilder sb = new StringBuilder(all.size() * 17);
		for (long hash : all) {
			if (sb.length() > 0) {
				sb.append(',');
			}
			sb.append(Long.toHexString(hash));
		}
		return sb.toString();
	}

	private static Set<Long> hashes(String hexes) {
		if (hexes.isEmpty()) {
			return Set.of();
		}
		Set<Long> hashes = new HashSet<>();
		for (String hex : hexes.split(",")) {
			hashes.add(Long.parseUnsignedLong(hex, 16));
		}
		return hashes;
	}

	private void report() {
		this.monitor.position(this.partition, this.done ? 1 : this.range.fraction(this.pageCursor), this.weight);
	}

	@Override
	public void close() {
	}

}
