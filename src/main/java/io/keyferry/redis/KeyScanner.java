package io.keyferry.redis;

import java.nio.charset.StandardCharsets;

import io.lettuce.core.KeyScanArgs;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;

/**
 * Runs single SCAN calls from a given cursor, so the caller can checkpoint the cursor
 * between pages. Thread-safe (Lettuce connections are), but a scan is meant to be driven
 * by one thread.
 */
public final class KeyScanner {

	private final StatefulRedisConnection<byte[], byte[]> connection;

	private final KeyScanArgs args;

	/**
	 * Creates a scanner.
	 * @param connection the source connection
	 * @param match the SCAN MATCH glob, or {@code null} for all keys
	 * @param type the SCAN TYPE, or {@code null} for every type
	 * @param count the SCAN COUNT hint
	 */
	public KeyScanner(StatefulRedisConnection<byte[], byte[]> connection, String match, String type, long count) {
		this.connection = connection;
		KeyScanArgs scanArgs = KeyScanArgs.Builder.limit(count);
		if (match != null && !match.isEmpty() && !"*".equals(match)) {
			scanArgs.match(match.getBytes(StandardCharsets.UTF_8));
		}
		if (type != null && !type.isEmpty()) {
			scanArgs.type(type);
		}
		this.args = scanArgs;
	}

	/**
	 * Scans one page.
	 * @param cursor the cursor to scan from
	 * @return the page
	 */
	public ScanPage scan(long cursor) {
		KeyScanCursor<byte[]> reply = this.connection.sync()
			.scan(ScanCursor.of(Long.toUnsignedString(cursor)), this.args);
		return new ScanPage(cursor, Long.parseUnsignedLong(reply.getCursor()), reply.getKeys());
	}

}
