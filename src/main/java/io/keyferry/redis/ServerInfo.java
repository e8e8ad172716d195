package io.keyferry.redis;

import java.util.HashMap;
import java.util.Map;

/**
 * What keyferry needs to know about a server: the identity of its process (a SCAN cursor
 * is only valid within one process), its version (DUMP payloads are version specific) and
 * its key count.
 *
 * @param runId {@code run_id} from {@code INFO server}: new for every server process
 * @param version the Redis (or Valkey) version
 * @param clusterEnabled whether the server runs in cluster mode
 * @param keys the number of keys in the selected database ({@code INFO keyspace}: the
 * same count as {@code DBSIZE}, without needing a permission of its own)
 */
public record ServerInfo(String runId, String version, boolean clusterEnabled, long keys) {

	/**
	 * Parses the text of {@code INFO}.
	 * @param info the INFO reply
	 * @param keys the DBSIZE of the selected database
	 * @return the information
	 */
	public static ServerInfo parse(String info, long keys) {
		return of(fields(info), keys);
	}

	/**
	 * Parses the text of {@code INFO server}, {@code INFO cluster} and
	 * {@code INFO keyspace}; the key count is that of the given database ({@code 0} when
	 * the keyspace section does not list it: it holds no keys).
	 * @param info the INFO replies
	 * @param database the selected database
	 * @return the information
	 */
	public static ServerInfo parse(String info, int database) {
		Map<String, String> fields = fields(info);
		long keys = 0;
		String keyspace = fields.get("db" + database);
		if (keyspace != null) {
			for (String part : keyspace.split(",")) {
				if (part.startsWith("keys=")) {
					keys = Long.parseLong(part.substring("keys=".length()).trim());
				}
			}
		}
		return of(fields, keys);
	}

	/**
	 * The databases listed by {@code INFO keyspace} and their key counts (a database
	 * without keys is not listed).
	 * @param info the INFO reply (any sections)
	 * @return key counts by database number, in ascending order
	 */
	public static java.util.SortedMap<Integer, Long> keyspace(String info) {
		java.util.SortedMap<Integer, Long> databases = new java.util.TreeMap<>();
		fields(info).forEach((name, value) -> {
			if (name.startsWith("db") && name.length() > 2 && name.substring(2).chars().allMatch(Character::isDigit)) {
				for (String part : value.split(",")) {
					if (part.startsWith("keys=")) {
						long keys = Long.parseLong(part.substring("keys=".length()).trim());
						if (keys > 0) {
							databases.put(Integer.parseInt(name.substring(2)), keys);
						}
					}
				}
			}
		});
		return databases;
	}

	/**
	 * Writes key counts by database in a short form that {@link #parseKeyspace} reads.
	 * @param databases key counts by database
	 * @return e.g. {@code 3=120,15=7}, empty for none
	 */
	public static String formatKeyspace(java.util.SortedMap<Integer, Long> databases) {
		StringBuilder text = new StringBuilder();
		databases.forEach((db, keys) -> text.append(text.isEmpty() ? "" : ",").append(db).append('=').append(keys));
		return text.toString();
	}

	/**
	 * Names databases and their key counts for people.
	 * @param databases key counts by database
	 * @return e.g. {@code db3 (120 keys), db15 (1 key)}
	 */
	public static String describeKeyspace(java.util.SortedMap<Integer, Long> databases) {
		java.util.List<String> entries = new java.util.ArrayList<>();
		databases.forEach((db, keys) -> entries.add("db" + db + " (" + String.format(java.util.Locale.ROOT, "%,d", keys)
				+ ((keys == 1) ? " key)" : " keys)")));
		return String.join(", ", entries);
	}

	/**
	 * Reads what {@link #formatKeyspace} wrote.
	 * @param text e.g. {@code 3=120,15=7}
	 * @return key counts by database, ascending
	 */
	public static java.util.SortedMap<Integer, Long> parseKeyspace(String text) {
		java.util.SortedMap<Integer, Long> databases = new java.util.TreeMap<>();
		for (String entry : text.split(",")) {
			int equals = entry.indexOf('=');
			if (equals > 0) {
				databases.put(Integer.valueOf(entry.substring(0, equals).trim()),
						Long.valueOf(entry.substring(equals + 1).trim()));
			}
		}
		return databases;
	}

	private static Map<String, String> fields(String info) {
		Map<String, String> fields = new HashMap<>();
		for (String line : info.split("\r?\n")) {
			int colon = line.indexOf(':');
			if (colon > 0 && !line.startsWith("#")) {
				fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
			}
		}
		return fields;
	}

	private static ServerInfo of(Map<String, String> fields, long keys) {
		String version = fields.getOrDefault("redis_version", fields.get("valkey_version"));
		return new ServerInfo(fields.getOrDefault("run_id", ""), version, "1".equals(fields.get("cluster_enabled")),
				keys);
	}

}
