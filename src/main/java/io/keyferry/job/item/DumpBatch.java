package io.keyferry.job.item;

import java.util.List;

import io.keyferry.redis.KeyDump;

/**
 * The dumps of one {@link KeyBatch}: one per key read, gone keys included (they are
 * counted as filtered when written).
 *
 * @param dumps the dumps, in read order
 */
public record DumpBatch(List<KeyDump> dumps) {
}
