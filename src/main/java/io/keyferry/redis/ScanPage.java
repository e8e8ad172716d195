package io.keyferry.redis;

import java.util.List;

/**
 * One SCAN reply.
 *
 * @param cursor the cursor that was scanned
 * @param nextCursor the cursor SCAN returned
 * @param keys the keys of the page
 */
public record ScanPage(long cursor, long nextCursor, List<byte[]> keys) {
}
