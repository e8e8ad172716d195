package io.keyferry.job;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
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
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * {@code copy --delete-missing}: after the copy's scan, scans the target (each database
 * of an {@code --all-databases} run, each master of a cluster) a SCAN page per call, and
 * deletes the keys of the run's filter that the source has under none of their names
 * ({@link MissingKeys}). Marks, then deletes: one call commits the page's candidates with
 * the next cursor, the next call checks each candidate against the source again right
 * before it deletes it (a key the source has by then stays) and commits the count. A
 * resumed execution deletes the candidates left by a killed one and counts those the
 * source still lacks; its scan continues from the committed cursor, unless the scanned
 * node's process changed ({@code run_id}, then that unit is scanned again from its start)
 * or a scanned cluster master is gone (then the whole target is). Deleting twice is
 * harmless; a cursor of another process may only miss keys. Not thread-safe (one step
 * thread).
 */
final class DeleteMissingScan implements Tasklet, StepExecutionListener {

	private static final String UNITS = "delete.units";

	private static final String UNIT = "delete.unit";

	private static final String CURSOR = "delete.cursor";

	private static final String RUN_ID = "delete.run-id";

	private static final String PENDING = "delete.pending";

	private static final String PENDING_UNIT = "delete.pending-unit";

	private static final String PENDING_EXECUTION = "delete.pending-execution";

	private static final String DATABASE = "db:";

	private static final String NODE = "node:";

	private final CopySettings settings;

	private final RedisConnector connector;

	private final RunMonitor monitor;

	private String openUnit;

	private UnitConnections connections;

	DeleteMissingScan(CopySettings settings, RedisConnector connector, RunMonitor monitor) {
		this.settings = settings;
		this.connector = connector;
		this.monitor = monitor;
	}

	@Override
	public void beforeStep(StepExecution stepExecution) {
		ExecutionContext context = stepExecution.getExecutionContext();
		if (context.getLong(JobNames.DELETED_EXECUTION, -1) != stepExecution.getId()) {
			// counts are per execution, as the copy's are
			context.putLong(JobNames.DELETED, 0);
			context.putLong(JobNames.DELETED_EXECUTION, stepExecution.getId());
		}
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) {
		StepExecution step = chunkContext.getStepContext().getStepExecution();
		if (this.monitor.isStopRequested()) {
			step.setTerminateOnly();
			return RepeatStatus.CONTINUABLE;
		}
		ExecutionContext context = step.getExecutionContext();
		if (!context.containsKey(UNITS)) {
			start(context, call("target", this::units));
		}
		List<String> units = List.of(context.getString(UNITS).split("\n"));
		if (context.containsKey(PENDING)) {
			deletePending(step, context, units);
			return RepeatStatus.CONTINUABLE;
		}
		int unit = context.getInt(UNIT);
		if (unit >= units.size()) {
			return RepeatStatus.FINISHED;
		}
		UnitConnections open = connections(units.get(unit));
		if (open == null) {
			this.monitor
				.warn("the target's masters changed since its scan for keys to delete started: it starts again");
			start(context, call("target", this::units));
			return RepeatStatus.CONTINUABLE;
		}
		String runId = call("target", open::scannedRunId);
		long cursor = Long.parseUnsignedLong(context.getString(CURSOR, "0"));
		String saved = context.getString(RUN_ID, null);
		if (saved != null && !saved.equals(runId) && cursor != 0) {
			this.monitor.warn("the target's process changed (run_id " + saved + " -> " + runId
					+ "): its scan for keys to delete starts again");
			cursor = 0;
		}
		long from = cursor;
		ScanPage page = call("target", () -> open.scanner().scan(from));
		List<byte[]> missing = call("source", () -> open.keys().missing(page.keys()));
		if (!missing.isEmpty()) {
			if (this.settings.dryRun()) {
				context.putLong(JobNames.DELETED, context.getLong(JobNames.DELETED) + missing.size());
			}
			else {
				context.putString(PENDING, encode(missing));
				context.putInt(PENDING_UNIT, unit);
				context.putLong(PENDING_EXECUTION, step.getId());
			}
		}
		if (page.nextCursor() == 0) {
			context.putInt(UNIT, unit + 1);
			context.putString(CURSOR, "0");
			context.remove(RUN_ID);
		}
		else {
			context.putString(CURSOR, Long.toUnsignedString(page.nextCursor()));
			context.putString(RUN_ID, runId);
		}
		return RepeatStatus.CONTINUABLE;
	}

	private void start(ExecutionContext context, List<String> units) {
		context.putString(UNITS, String.join("\n", units));
		context.putInt(UNIT, 0);
		context.putString(CURSOR, "0");
		context.remove(RUN_ID);
	}

	/**
	 * Deletes the candidates the last page left, those the source still lacks. A list
	 * left by a killed execution may have been deleted already: each key the source lacks
	 * counts then, whatever the target replies.
	 */
	private void deletePending(StepExecution step, ExecutionContext context, List<String> units) {
		List<byte[]> pending = decode(context.getString(PENDING));
		UnitConnections open = connections(units.get(context.getInt(PENDING_UNIT)));
		boolean again = context.getLong(PENDING_EXECUTION) != step.getId();
		long deleted;
		if (open == null) {
			// a master of the scan is gone: its keys are found again by the new scan
			deleted = 0;
		}
		else {
			// checked right before the delete: a key the source has again stays
			List<byte[]> missing = call("source", () -> open.keys().missing(pending));
			long removed = call("target", () -> open.keys().delete(missing));
			deleted = again ? missing.size() : removed;
		}
		TestHalt.at("delete-unlinked");
		context.putLong(JobNames.DELETED, context.getLong(JobNames.DELETED) + deleted);
		context.remove(PENDING);
		context.remove(PENDING_UNIT);
		context.remove(PENDING_EXECUTION);
	}

	private <T> T call(String role, Supplier<T> attempt) {
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
	private List<String> units() {
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
	 * The connections of a unit, opened when the scan reaches it.
	 * @return the connections, {@code null} when the unit is a master that is gone
	 */
	private UnitConnections connections(String unit) {
		if (unit.equals(this.openUnit)) {
			return this.connections;
		}
		close();
		UnitConnections opened = call("target", () -> UnitConnections.open(unit, this.settings, this.connector));
		this.connections = opened;
		this.openUnit = (opened != null) ? unit : null;
		return opened;
	}

	private void close() {
		if (this.connections != null) {
			this.connections.close();
			this.connections = null;
			this.openUnit = null;
		}
	}

	@Override
	public ExitStatus afterStep(StepExecution stepExecution) {
		close();
		return null;
	}

	static String encode(List<byte[]> keys) {
		Base64.Encoder encoder = Base64.getEncoder();
		return String.join(",", keys.stream().map(encoder::encodeToString).toList());
	}

	static List<byte[]> decode(String keys) {
		Base64.Decoder decoder = Base64.getDecoder();
		return Arrays.stream(keys.split(",")).filter((key) -> !key.isEmpty()).map(decoder::decode).toList();
	}

	/**
	 * A unit's connections: the server scanned, the routes of each key on both sides.
	 */
	private static final class UnitConnections implements AutoCloseable {

		private final List<AutoCloseable> resources;

		private final StatefulRedisConnection<byte[], byte[]> scanned;

		private final TargetRoute targetRoute;

		private final TargetRoute sourceRoute;

		private final KeyScanner scanner;

		private final MissingKeys keys;

		private UnitConnections(List<AutoCloseable> resources, StatefulRedisConnection<byte[], byte[]> scanned,
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

		static UnitConnections open(String unit, CopySettings settings, RedisConnector connector) {
			List<AutoCloseable> resources = new ArrayList<>();
			try {
				Endpoint source = settings.source();
				Endpoint target = settings.target();
				if (unit.startsWith(DATABASE) && settings.allDatabases()) {
					int database = Integer.parseInt(unit.substring(DATABASE.length()));
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
				return new UnitConnections(resources, scanned, targetRoute, sourceRoute, settings);
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
