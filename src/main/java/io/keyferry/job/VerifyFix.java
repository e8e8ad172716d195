package io.keyferry.job;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import io.keyferry.job.item.DumpProcessor;
import io.keyferry.job.item.VerifyCounts;
import io.keyferry.redis.Backoff;
import io.keyferry.redis.ConflictPolicy;
import io.keyferry.redis.DifferenceKind;
import io.keyferry.redis.DumpFetcher;
import io.keyferry.redis.KeyDump;
import io.keyferry.redis.RdbVersion;
import io.keyferry.redis.RedisConnector;
import io.keyferry.redis.RedisFailures;
import io.keyferry.redis.RestoreResult;
import io.keyferry.redis.Restorer;
import io.keyferry.redis.TypeWriter;
import io.keyferry.repository.Differences;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * {@code verify --fix}: after the last pass, copies again every key still recorded as
 * different (in the database it was recorded in, {@code --all-databases}), with the
 * copy's write path ({@link DumpFetcher} and {@link Restorer} under the {@code replace}
 * policy, type by type where the target cannot read a payload, routed to a cluster
 * target's masters); with {@code --delete-extra} deletes the extra keys that the target
 * still has and the source still lacks; then compares the records' keys once more, so
 * that the run's final counts are what differs after the fix. A page of records per call,
 * its position and the counts saved in the step's context in the call's transaction.
 * Restartable: a page written but not committed is written again (RESTORE REPLACE and DEL
 * are idempotent; such keys are counted as fixed twice). Not thread-safe (one step
 * thread).
 */
final class VerifyFix implements Tasklet, StepExecutionListener {

	private static final String PHASE = "verify.fix.phase";

	private static final String AFTER = "verify.fix.after";

	private static final String COMPARE = "compare";

	private static final int PAGE = 500;

	private final VerifySettings settings;

	private final Differences differences;

	private final JobRepository jobRepository;

	private final RunMonitor monitor;

	private final VerifyConnections.OnDemand connections;

	VerifyFix(VerifySettings settings, RedisConnector connector, Differences differences, JobRepository jobRepository,
			RunMonitor monitor) {
		this.settings = settings;
		this.connections = new VerifyConnections.OnDemand(settings, connector, monitor);
		this.differences = differences;
		this.jobRepository = jobRepository;
		this.monitor = monitor;
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) {
		StepExecution step = chunkContext.getStepContext().getStepExecution();
		ExecutionContext context = step.getExecutionContext();
		long runId = step.getJobExecution().getJobInstanceId();
		if (this.monitor.isStopRequested()) {
			step.setTerminateOnly();
			return RepeatStatus.CONTINUABLE;
		}
		boolean comparing = COMPARE.equals(context.getString(PHASE, "fix"));
		long after = context.getLong(AFTER, 0);
		VerifyCounts done = VerifyCounts.readFrom(context);
		if (after == 0 && !comparing) {
			VerifyCounts left = this.differences.counts(runId);
			long extra = left.count(DifferenceKind.EXTRA);
			this.monitor
				.info("fixing: copying again " + left.differing() + " key" + ((left.differing() == 1) ? "" : "s")
						+ " that differ" + (this.settings.deleteExtra() ? ", deleting " + extra + " extra" : ""));
		}
		List<Differences.Difference> rows = this.differences.page(runId, after, PAGE);
		if (rows.isEmpty()) {
			if (comparing) {
				VerifyCounts counts = VerifyPasses.totals(this.differences, this.jobRepository, step, runId);
				counts.addFixed(done.fixed());
				counts.addDeleted(done.deleted());
				counts.writeTo(context);
				context.putString(VerifyCounts.FINAL, "true");
				return RepeatStatus.FINISHED;
			}
			this.monitor.info("comparing again the keys that were fixed");
			context.putString(PHASE, COMPARE);
			context.putLong(AFTER, 0);
			return RepeatStatus.CONTINUABLE;
		}
		if (comparing) {
			VerifyPasses.compareAgain(this.connections, this.settings, this.differences, this.monitor, rows,
					this.settings.passes() + 1);
		}
		else {
			VerifyPasses.byDatabase(rows).forEach((database, ofDatabase) -> {
				List<byte[]> differing = new ArrayList<>();
				List<byte[]> extra = new ArrayList<>();
				for (Differences.Difference row : ofDatabase) {
					if (row.kind() != DifferenceKind.EXTRA) {
						differing.add(row.key());
					}
					else if (this.settings.deleteExtra()) {
						extra.add(row.key());
					}
				}
				VerifyConnections sides = this.connections.get(database);
				done.addFixed(copyAgain(sides, differing));
				done.addDeleted(deleteExtra(sides, extra));
			});
			TestHalt.at("fix-page");
		}
		context.putLong(AFTER, rows.get(rows.size() - 1).id());
		context.putLong(VerifyCounts.PREFIX + "fixed", done.fixed());
		context.putLong(VerifyCounts.PREFIX + "deleted", done.deleted());
		return RepeatStatus.CONTINUABLE;
	}

	/**
	 * Copies keys again as a copy under {@code --on-conflict replace} writes them: the
	 * keys of each source node fetched in one pipelined batch, payloads beyond the
	 * chunk's byte budget read again one at a time.
	 * @param sides the connections of the keys' database
	 * @param keys the keys
	 * @return the keys written (keys gone from the source are not)
	 */
	private long copyAgain(VerifyConnections sides, List<byte[]> keys) {
		if (keys.isEmpty()) {
			return 0;
		}
		CopySettings copy = this.settings.copy();
		Backoff backoff = copy.backoff();
		Map<StatefulRedisConnection<byte[], byte[]>, List<byte[]>> bySource = new IdentityHashMap<>();
		for (byte[] key : keys) {
			bySource.computeIfAbsent(sides.sourceFor(key), (c) -> new ArrayList<>()).add(key);
		}
		String sourceVersion = sides.sourceInfo().version();
		String targetVersion = sides.targetInfo().version();
		Restorer.Options options = new Restorer.Options(ConflictPolicy.REPLACE, false, copy.maxValueBytes(),
				RdbVersion.ofRedisVersion(targetVersion).orElse(-1), backoff, copy.timeout(), sides.targetOffset(),
				copy.renames());
		long written = 0;
		long skipped = 0;
		for (Map.Entry<StatefulRedisConnection<byte[], byte[]>, List<byte[]>> group : bySource.entrySet()) {
			DumpFetcher fetcher = new DumpFetcher(group.getKey(), copy.timeout(), sides.sourceAbsolute(),
					sides.sourceOffset());
			Restorer.Fallback fallback = copy.writeMode().mayWriteByTypes(sourceVersion, targetVersion)
					? new Restorer.Fallback(new TypeWriter(group.getKey(), copy.timeout(), targetVersion),
							copy.writeMode(), copy.source())
					: null;
			Restorer restorer = new Restorer(sides.targetRoute(), copy.target(), options, this.monitor::isStopRequested,
					// consulted only when RESTORE without REPLACE meets an existing key:
					// never under replace
					(dump) -> false, (key) -> fetch(fetcher, List.of(key)).get(0), fallback);
			List<KeyDump> dumps = DumpProcessor.withinBudget(fetch(fetcher, group.getValue()), copy.batchBytes());
			for (RestoreResult result : restorer.restore(dumps)) {
				if (result.outcome() == RestoreResult.Outcome.WRITTEN) {
					written++;
				}
				else if (result.outcome() == RestoreResult.Outcome.SKIPPED) {
					skipped++;
				}
			}
		}
		if (skipped > 0) {
			this.monitor.warn(skipped + " key" + ((skipped == 1) ? "" : "s")
					+ " could not be written again (e.g. larger than --max-value-bytes): they still differ");
		}
		return written;
	}

	private List<KeyDump> fetch(DumpFetcher fetcher, List<byte[]> keys) {
		CopySettings copy = this.settings.copy();
		return copy.backoff()
			.call(() -> fetcher.fetch(keys), this.monitor::isStopRequested,
					(failure) -> RedisFailures.describe("source", copy.source(), failure));
	}

	/**
	 * Deletes the keys that the target has and the source lacks under each name they can
	 * have been copied from, read now (a key the source has gained since the scan stays),
	 * each from the target's node of its slot.
	 * @param sides the connections of the keys' database
	 * @param keys the keys
	 * @return the keys deleted
	 */
	private long deleteExtra(VerifyConnections sides, List<byte[]> keys) {
		if (keys.isEmpty()) {
			return 0;
		}
		CopySettings copy = this.settings.copy();
		return copy.backoff().call(() -> {
			List<byte[]> still = sides.extraKeys().extra(keys);
			List<RedisFuture<Long>> replies = new ArrayList<>(still.size());
			for (byte[] key : still) {
				replies.add(sides.targetRoute().connectionFor(key).async().del(key));
			}
			long deleted = 0;
			for (RedisFuture<Long> reply : replies) {
				deleted += LettuceFutures.awaitOrCancel(reply, copy.timeout().toNanos(),
						java.util.concurrent.TimeUnit.NANOSECONDS);
			}
			return deleted;
		}, this.monitor::isStopRequested, (failure) -> RedisFailures.describe("target", copy.target(), failure));
	}

	@Override
	public ExitStatus afterStep(StepExecution stepExecution) {
		this.connections.close();
		return null;
	}

}
