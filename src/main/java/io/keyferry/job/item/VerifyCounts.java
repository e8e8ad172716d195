package io.keyferry.job.item;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

import io.keyferry.redis.DifferenceKind;
import io.keyferry.redis.KeyVerdict;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * Counts of a verify partition or execution: keys read, keys checked (read and still in
 * the source), the differences found, by kind, and for {@code --fix} the keys copied
 * again and the extra keys deleted. Not thread-safe.
 */
public final class VerifyCounts {

	/**
	 * Prefix of the counts in an execution context, e.g. {@code verify.count.missing}.
	 */
	public static final String PREFIX = "verify.count.";

	/**
	 * Marks the context of the verify job's last step as holding the run's final counts.
	 */
	public static final String FINAL = "verify.final";

	private long read;

	private long checked;

	private long fixed;

	private long deleted;

	private final EnumMap<DifferenceKind, Long> differences = new EnumMap<>(DifferenceKind.class);

	public void addRead(long keys) {
		this.read += keys;
	}

	public void addChecked(long keys) {
		this.checked += keys;
	}

	/**
	 * Counts keys that {@code --fix} copied again.
	 * @param keys how many
	 */
	public void addFixed(long keys) {
		this.fixed += keys;
	}

	/**
	 * Counts extra keys that {@code --delete-extra} deleted from the target.
	 * @param keys how many
	 */
	public void addDeleted(long keys) {
		this.deleted += keys;
	}

	public long fixed() {
		return this.fixed;
	}

	public long deleted() {
		return this.deleted;
	}

	/**
	 * Counts one key's verdict (gone keys are read, not checked).
	 * @param verdict the verdict
	 */
	public void add(KeyVerdict verdict) {
		if (verdict.outcome() == KeyVerdict.Outcome.GONE) {
			return;
		}
		if (verdict.kind() != DifferenceKind.EXTRA) {
			this.checked++;
		}
		if (verdict.isDifferent()) {
			add(verdict.kind(), 1);
		}
	}

	public void add(DifferenceKind kind, long n) {
		this.differences.merge(kind, n, Long::sum);
	}

	public void add(VerifyCounts other) {
		this.read += other.read;
		this.checked += other.checked;
		this.fixed += other.fixed;
		this.deleted += other.deleted;
		other.differences.forEach((kind, n) -> this.differences.merge(kind, n, Long::sum));
	}

	public long read() {
		return this.read;
	}

	public long checked() {
		return this.checked;
	}

	public long count(DifferenceKind kind) {
		return this.differences.getOrDefault(kind, 0L);
	}

	/**
	 * Keys of the source that differ (extra keys are not the source's).
	 * @return missing + different type, value or TTL
	 */
	public long differing() {
		return count(DifferenceKind.MISSING) + count(DifferenceKind.TYPE) + count(DifferenceKind.VALUE)
				+ count(DifferenceKind.TTL);
	}

	/**
	 * Every difference, extra keys included.
	 * @return the total
	 */
	public long total() {
		return differing() + count(DifferenceKind.EXTRA);
	}

	/**
	 * Checked keys that are the same in the target.
	 * @return checked minus the differing keys, at least 0
	 */
	public long equal() {
		return Math.max(0, this.checked - differing());
	}

	/**
	 * The counts by kind, every kind present.
	 * @return kind id → count
	 */
	public Map<String, Long> byKind() {
		Map<String, Long> map = new LinkedHashMap<>();
		for (DifferenceKind kind : DifferenceKind.values()) {
			map.put(kind.id(), count(kind));
		}
		return map;
	}

	public void writeTo(ExecutionContext context) {
		context.putLong(PREFIX + "read", this.read);
		context.putLong(PREFIX + "checked", this.checked);
		context.putLong(PREFIX + "fixed", this.fixed);
		context.putLong(PREFIX + "deleted", this.deleted);
		for (DifferenceKind kind : DifferenceKind.values()) {
			context.putLong(PREFIX + kind.id(), count(kind));
		}
	}

	/**
	 * Reads counts saved by {@link #writeTo}.
	 * @param context the context
	 * @return the counts, zero where absent
	 */
	public static VerifyCounts readFrom(ExecutionContext context) {
		VerifyCounts counts = new VerifyCounts();
		counts.read = context.getLong(PREFIX + "read", 0);
		counts.checked = context.getLong(PREFIX + "checked", 0);
		counts.fixed = context.getLong(PREFIX + "fixed", 0);
		counts.deleted = context.getLong(PREFIX + "deleted", 0);
		for (DifferenceKind kind : DifferenceKind.values()) {
			long n = context.getLong(PREFIX + kind.id(), 0);
			if (n > 0) {
				counts.differences.put(kind, n);
			}
		}
		return counts;
	}

	/**
	 * Whether a context holds counts.
	 * @param context the context
	 * @return true when {@link #writeTo} wrote to it
	 */
	public static boolean presentIn(ExecutionContext context) {
		return context.containsKey(PREFIX + "checked");
	}

}
