package io.keyferry.job.item;

import java.util.List;

/**
 * Keys read from one or more SCAN pages: one item of the copy step, processed as one
 * pipelined DUMP batch.
 *
 * @param keys the keys, possibly none when a page matched nothing
 */
public record KeyBatch(List<byte[]> keys) {
}
