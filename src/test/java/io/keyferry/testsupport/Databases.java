package io.keyferry.testsupport;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The databases other than 0 of standalone test servers, for the fixtures that read
 * database 0 ({@link TestData}, {@link KeyspaceComparison}, {@link RedisServer#sync()}):
 * a database is swapped with database 0 ({@code SWAPDB}, which keeps TTLs) for the time
 * of an action, while nothing else uses the servers.
 */
public final class Databases {

	private Databases() {
	}

	/**
	 * Runs {@code action} with database {@code database} of each server seen as database
	 * 0, and swaps them back afterwards.
	 * @param database the database
	 * @param action what reads or writes database 0
	 * @param servers the servers
	 */
	public static void inDatabase(int database, Runnable action, RedisServer... servers) {
		if (database == 0) {
			action.run();
			return;
		}
		for (RedisServer server : servers) {
			server.sync().swapdb(0, database);
		}
		try {
			action.run();
		}
		finally {
			for (RedisServer server : servers) {
				server.sync().swapdb(0, database);
			}
		}
	}

	/**
	 * Loads 100 keys into database 0 of the source and 50 (prefix {@code dbN:}) with
	 * {@code config:mode} = {@code production} into database {@code database}, and gives
	 * the target a value of its own in that database only ({@code config:mode} =
	 * {@code staging}): a copy under {@code --on-conflict skip} keeps it, so a verify
	 * then finds that one key different.
	 * @param source the source
	 * @param target the target
	 * @param database the second database
	 */
	public static void loadWithTargetValue(RedisServer source, RedisServer target, int database) {
		TestData.keys(100).loadInto(source);
		inDatabase(database, () -> {
			TestData.keys(50).seed(database).prefix("db" + database + ":").loadInto(source);
			source.sync().set("config:mode", "production");
		}, source);
		inDatabase(database, () -> target.sync().set("config:mode", "staging"), target);
	}

	/**
	 * Asserts that each database holds keys in the source and the same keys, values and
	 * expiries (within {@link KeyspaceComparison#LOOSE_TTL_TOLERANCE}) in the target.
	 * @param source the source
	 * @param target the target
	 * @param databases the databases
	 */
	public static void assertSameDatabases(RedisServer source, RedisServer target, int... databases) {
		for (int database : databases) {
			inDatabase(database, () -> {
				KeyspaceComparison comparison = KeyspaceComparison.compare(source, target,
						KeyspaceComparison.LOOSE_TTL_TOLERANCE);
				assertThat(comparison.isSame()).as("database %d: %s", database, comparison.report()).isTrue();
				assertThat(comparison.sourceKeys()).as("keys of database %d", database).isPositive();
			}, source, target);
		}
	}

	/**
	 * The databases {@code INFO keyspace} lists.
	 * @param server the server
	 * @return e.g. {@code db0}, {@code db3}
	 */
	public static List<String> of(RedisServer server) {
		return server.sync()
			.info("keyspace")
			.lines()
			.filter((line) -> line.startsWith("db"))
			.map((line) -> line.substring(0, line.indexOf(':')))
			.toList();
	}

}
