package io.keyferry.job;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import io.keyferry.redis.ClusterNodes;
import io.keyferry.redis.ClusterTarget;
import io.keyferry.redis.Endpoint;
import io.keyferry.redis.KeyScanner;
import io.keyferry.redis.MissingKeys;
import io.keyferry.redis.RedisConnector;
import io.keyferry.redis.RedisFailures;
import io.keyferry.redis.ScanPage;
import io.keyferry.redis.TargetRoute;
import io.lettuce.core.api.StatefulRedisConnection;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * A scan of a run's target for the keys of its filter, a SCAN page per call, checkpointed
 * in a step's execution context under a prefix: the units it covers (the target's
 * database, each database holding keys with {@code --all-databases}, or each master of a
 * cluster), the unit in progress, its cursor and its node's {@code run_id}. A cursor of a
 * process that is gone is not reused (that unit is scanned again from its start); when a
 * master of the scan is gone, the whole target is scanned again. Used by
 * {@code verify --extra} ({@link VerifyExtraScan}) and {@code copy --delete-missing}
 * ({@link DeleteMissingScan}). Not thread-safe (one step thread); closed when its step
 * ends.
 */
final class TargetScan implements AutoCloseable {

	private static final String DATABASE = "db:";

	private static final String NODE = "node:";

	/**
	 * A page of the scan.
	 *
	 * @param unit the index of the unit it comes from
	 * @param from the cursor it was scanned from: 0 for a unit's first page
	 * @param database the database the unit scans in a run of every database
	 * ({@code --all-databases}), {@code null} otherwise
	 * @param keys its keys
	 */
	record Page(int unit, long from, Integer database, List<byte[]> keys) {
	}

	private final String units;

	private final String unit;

	private final String cursor;

	private final String runId;

	private final String purpose;

	private final CopySettings settings;

	private final RedisConnector connector;

	private final RunMonitor monitor;

	private String openUnit;

	private Unit connections;

	/**
	 * Creates the scan.
	 * @param prefix the prefix of its checkpoint's keys, e.g. {@code extra.}
	 * @param purpose what the scan is for, in messages: {@code extra keys}
	 * @param settings the run's settings, with credentials
	 * @param connector opens connections
	 * @param monitor the run's stop requests and warnings
	 */
	TargetScan(String prefix, String purpose, CopySettings settings, RedisConnector connector, RunMonitor monitor) {
		this.units = prefix + "units";
		this.unit = prefix + "unit";
		this.cursor = prefix + "cursor";
		this.runId = prefix + "run-id";
		this.purpose = purpose;
		this.settings = settings;
		this.connector = connector;
		this.monitor = monitor;
	}

	/**
	 * Scans the next page and saves the position after it.
	 * @param context the step's execution context
	 * @return the page, {@code null} once the whole target is scanned
	 */
	Page next(ExecutionContext context) {
		if (!context.containsKey(this.units)) {
			// a scan checkpointed before units existed keeps its cursor (one unit)
			start(context, call("target", this::discover), context.containsKey(this.cursor));
		}
		List<String> all = units(context);
		int index = context.getInt(this.unit);
		if (index >= all.size()) {
			return null;
		}
		Unit open = unit(context, index);
		if (open == null) {
			this.monitor
				.warn("the target's masters changed since its scan for " + this.purpose + " started: it starts again");
			start(context, call("target", this::discover), false);
			return new Page(0, 0, null, List.of());
		}
		String now = call("target", open::scannedRunId);
		long from = Long.parseUnsignedLong(context.getString(this.cursor, "0"));
		String saved = context.getString(this.runId, null);
		if (saved != null && !saved.equals(now) && from != 0) {
			this.monitor.warn("the target's process changed (run_id " + saved + " -> " + now + "): its scan for "
					+ this.purpose + " starts again");
			from = 0;
		}
		long cursor = from;
		ScanPage page = call("target", () -> open.scanner().scan(cursor));
		if (page.nextCursor() == 0) {
			context.putInt(this.unit, index + 1);
			context.putString(this.cursor, "0");
			context.remove(this.runId);
		}
		else {
			context.putString(this.cursor, Long.toUnsignedString(page.nextCursor()));
			context.putString(this.runId, now);
		}
		return new Page(index, cursor, database(all.get(index), this.settings), page.keys());
	}

	private void start(ExecutionContext context, List<String> discovered, boolean keepCursor) {
		context.putString(this.units, String.join("\n", discovered));
		context.putInt(this.unit, 0);
		if (!keepCursor) {
			context.putString(this.cursor, "0");
			context.remove(this.runId);
		}
	}

	private List<String> units(ExecutionContext context) {
		String saved = context.getString(this.units);
		return saved.isEmpty() ? List.of() : List.of(saved.split("\n"));
	}

	/**
	 * The connections of a unit of the scan, opened when first needed.
	 * @param context the step's execution context
	 * @param index the unit's index
	 * @return the connections, {@code null} when the unit is a master that is gone
	 */
	Unit unit(ExecutionContext context, int index) {
		String name = units(context).get(index);
		if (name.equals(this.openUnit)) {
			return this.connections;
		}
		close();
		Unit opened = call("target", () -> Unit.open(name, this.settings, this.connector));
		this.connections = opened;
		this.openUnit = (opened != null) ? name : null;
		return opened;
	}

	/**
	 * Runs an attempt with the run's retries; a failed attempt reads a cluster's slot map
	 * again before the next.
	 * @param <T> the result type
	 * @param role the side a failure is reported for: source or target
	 * @param attempt the attempt
	 * @return its result
	 */
	<T> T call(String role, Supplier<T> attempt) {
		Endpoint endpoint = "source".equals(role) ? this.settings.source() : this.settings.target();
		return this.settings.backoff().call(() -> {
			try {
				return attempt.get();
			}
			catch (RuntimeException ex) {
				// a cluster's slots may have moved: the next attempt routes by the new
				// map
				if (this.connections != null) {
					this.connections.refresh();
				}
				throw ex;
			}
		}, this.monitor::isStopRequested, (failure) -> RedisFailures.describe(role, endpoint, failure));
	}

	/**
	 * What the scan covers: the target's database (each one holding keys with
	 * {@code --all-databases}), or each master of a cluster target.
	 */
	private List<String> discover() {
		Endpoint target = this.settings.target();
		try (RedisConnector.Connection connection = this.connector.connect(target)) {
			if (RedisConnector.info(connection.connection(), target).clusterEnabled()) {
				try (ClusterTarget cluster = new ClusterTarget(this.connector, target)) {
					return cluster.masters().stream().map((node) -> NODE + node.id()).toList();
				}
			}
			if (this.settings.allDatabases()) {
				return RedisConnector.keyspace(connection.connection(), target)
					.keySet()
					.stream()
					.map((db) -> DATABASE + db)
					.toList();
			}
			return List.of(DATABASE + target.database());
		}
	}

	/**
	 * The database a unit selects on both sides.
	 * @param unit the unit's name
	 * @param settings the run's settings
	 * @return the database of a run of every database, else {@code null} (the endpoints
	 * name it)
	 */
	static Integer database(String unit, CopySettings settings) {
		return (unit.startsWith(DATABASE) && settings.allDatabases())
				? Integer.valueOf(unit.substring(DATABASE.length())) : null;
	}

	@Override
	public void close() {
		if (this.connections != null) {
			this.connections.close();
			this.connections = null;
			this.openUnit = null;
		}
	}

	/**
	 * A unit's connections: the server scanned, the routes of each key on both sides, and
	 * which of its keys the source lacks.
	 */
	static final class Unit implements AutoCloseable {

		private final List<AutoCloseable> resources;

		private final StatefulRedisConnection<byte[], byte[]> scanned;

		private final TargetRoute targetRoute;

		private final TargetRoute sourceRoute;

		private final KeyScanner scanner;

		private final MissingKeys keys;

		private Unit(List<AutoCloseable> resources, StatefulRedisConnection<byte[], byte[]> scanned,
				TargetRoute targetRoute, TargetRoute sourceRoute, CopySettings settings) {
			this.resources = resources;
			this.scanned = scanned;
			this.targetRoute = targetRoute;
			this.sourceRoute = sourceRoute;
			this.scanner = new KeyScanner(scanned, MissingKeys.targetMatch(settings.match(), settings.renames()),
					settings.type(), settings.scanCount());
			this.keys = new MissingKeys(sourceRoute::connectionFor, targetRoute::connectionFor, settings.match(),
					settings.renames(), settings.timeout());
		}

		static Unit open(String unit, CopySettings settings, RedisConnector connector) {
			List<AutoCloseable> resources = new ArrayList<>();
			try {
				Endpoint source = settings.source();
				Endpoint target = settings.target();
				Integer database = database(unit, settings);
				if (database != null) {
					source = source.withDatabase(database);
					target = target.withDatabase(database);
				}
				TargetRoute sourceRoute = route(connector, source, resources);
				TargetRoute targetRoute;
				StatefulRedisConnection<byte[], byte[]> scanned;
				if (unit.startsWith(NODE)) {
					ClusterTarget cluster = new ClusterTarget(connector, target);
					resources.add(cluster);
					String id = unit.substring(NODE.length());
					ClusterNodes.Node node = cluster.masters()
						.stream()
						.filter((master) -> master.id().equals(id))
						.findFirst()
						.orElse(null);
					if (node == null) {
						closeAll(resources);
						return null;
					}
					targetRoute = cluster;
					scanned = cluster.connectionAt(node.address());
				}
				else {
					RedisConnector.Connection connection = connector.connect(target);
					resources.add(connection);
					targetRoute = TargetRoute.single(connection.connection());
					scanned = connection.connection();
				}
				return new Unit(resources, scanned, targetRoute, sourceRoute, settings);
			}
			catch (RuntimeException ex) {
				closeAll(resources);
				throw ex;
			}
		}

		private static TargetRoute route(RedisConnector connector, Endpoint endpoint, List<AutoCloseable> resources) {
			RedisConnector.Connection connection = connector.connect(endpoint);
			resources.add(connection);
			if (RedisConnector.info(connection.connection(), endpoint).clusterEnabled()) {
				ClusterTarget cluster = new ClusterTarget(connector, endpoint);
				resources.add(cluster);
				return cluster;
			}
			return TargetRoute.single(connection.connection());
		}

		KeyScanner scanner() {
			return this.scanner;
		}

		MissingKeys keys() {
			return this.keys;
		}

		String scannedRunId() {
			return RedisConnector.runId(this.scanned);
		}

		void refresh() {
			for (TargetRoute route : List.of(this.sourceRoute, this.targetRoute)) {
				if (route.cluster()) {
					try {
						route.refresh();
					}
					catch (RuntimeException ex) {
						// the next attempt fails the same way, and is reported then
					}
				}
			}
		}

		@Override
		public void close() {
			closeAll(this.resources);
		}

		private static void closeAll(List<AutoCloseable> resources) {
			for (AutoCloseable resource : resources) {
				try {
					resource.close();
				}
				catch (Exception ex) {
					// closing: nothing left to do with it
				}
			}
		}

	}

}
