package io.keyferry.job.item;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

import io.keyferry.redis.FallbackReason;
import io.keyferry.redis.RestoreResult;
import io.keyferry.redis.SkipReason;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * Key counts of one partition or one execution: every key read ends written, filtered or
 * skipped (by reason), so {@code read = written + filtered + skipped}; of the written
 * keys, those written type by type are counted by the reason they could not be restored
 * (the {@code fallback} counts, part of {@code written}). Not thread-safe.
 */
public final class KeyCounts {

	private long read;

	private long written;

	private long filtered;

	private long bytes;

	private final EnumMap<SkipReason, Long> skipped = new EnumMap<>(SkipReason.class);

	private final EnumMap<FallbackReason, Long> fallback = new EnumMap<>(FallbackReason.class);

	public void addRead(long keys) {
		this.read += keys;
	}

	/**
	 * Counts the end of one key.
	 * @param result the key's result
	 */
	public void add(RestoreResult result) {
		switch (result.outcome()) {
			case WRITTEN -> {
				this.written++;
				this.bytes += result.bytes();
				if (result.fallback() != null) {
					this.fallback.merge(result.fallback(), 1L, Long::sum);
				}
			}
			case FILTERED -> this.filtered++;
			case SKIPPED -> this.skipped.merge(result.reason(), 1L, Long::sum);
		}
	}

	public void addFiltered(long keys) {
		this.filtered += keys;
	}

	public void add(KeyCounts other) {
		this.read += other.read;
		this.written += other.written;
		this.filtered += other.filtered;
		this.bytes += other.bytes;
		other.skipped.forEach((reason, count) -> this.skipped.merge(reason, count, Long::sum));
		other.fallback.forEach((reason, count) -> this.fallback.merge(reason, count, Long::sum));
	}

	public long read() {
		return this.read;
	}

	public long written() {
		return this.written;
	}

	public long filtered() {
		return this.filtered;
	}

	public long bytes() {
		return this.bytes;
	}

	public long skippedTotal() {
		return this.skipped.values().stream().mapToLong(Long::longValue).sum();
	}

	/**
	 * Skips by reason, every reason present (0 when none).
	 * @return reason id → count
	 */
	public Map<String, Long> skipped() {
		Map<String, Long> result = new LinkedHashMap<>();
		for (SkipReason reason : SkipReason.values()) {
			result.put(reason.id(), this.skipped.getOrDefault(reason, 0L));
		}
		return result;
	}

	/**
	 * Written keys that were written type by type, by the reason they could not be
	 * restored, every reason present (0 when none).
	 * @return reason id → count
	 */
	public Map<String, Long> fallback() {
		Map<String, Long> result = new LinkedHashMap<>();
		for (FallbackReason reason : FallbackReason.values()) {
			result.put(reason.id(), this.fallback.getOrDefault(reason, 0L));
		}
		return result;
	}

	public long fallbackTotal() {
		return this.fallback.values().stream().mapToLong(Long::longValue).sum();
	}

	public void writeTo(ExecutionContext context) {
		context.putLong(Checkpoint.COUNT_READ, this.read);
		context.putLong(Checkpoint.COUNT_WRITTEN, this.written);
		context.putLong(Checkpoint.COUNT_FILTERED, this.filtered);
		context.putLong(Checkpoint.COUNT_BYTES, this.bytes);
		for (SkipReason reason : SkipReason.values()) {
			context.putLong(Checkpoint.COUNT_SKIPPED + reason.id(), this.skipped.getOrDefault(reason, 0L));
		}
		for (FallbackReason reason : FallbackReason.values()) {
			context.putLong(Checkpoint.COUNT_FALLBACK + reason.id(), this.fallback.getOrDefault(reason, 0L));
		}
	}

	/**
	 * Reads counts saved by {@link #writeTo(ExecutionContext)}.
	 * @param context the context
	 * @return the counts (zero where absent)
	 */
	public static KeyCounts readFrom(ExecutionContext context) {
		KeyCounts counts = new KeyCounts();
		counts.read = context.getLong(Checkpoint.COUNT_READ, 0);
		counts.written = context.getLong(Checkpoint.COUNT_WRITTEN, 0);
		counts.filtered = context.getLong(Checkpoint.COUNT_FILTERED, 0);
		counts.bytes = context.getLong(Checkpoint.COUNT_BYTES, 0);
		for (SkipReason reason : SkipReason.values()) {
			long n = context.getLong(Checkpoint.COUNT_SKIPPED + reason.id(), 0);
			if (n > 0) {
				counts.skipped.put(reason, n);
			}
		}
		for (FallbackReason reason : FallbackReason.values()) {
			long n = context.getLong(Checkpoint.COUNT_FALLBACK + reason.id(), 0);
			if (n > 0) {
				counts.fallback.put(reason, n);
			}
		}
		return counts;
	}

}
