package io.keyferry.run;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import io.keyferry.testsupport.PostgresDatabase;
import io.keyferry.repository.RepositorySchema;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lease of a copy against real job repositories (an H2 file and PostgreSQL): acquired
 * by one process at a time, judged by the database's clock for a holder on another host
 * and by its pid on this one, taken over with a compare-and-set that exactly one of
 * several contenders wins, and a heartbeat that warns when it cannot be recorded and
 * reports when the lease was taken over.
 */
class RunLeaseIntegrationTests {

	@RegisterExtension
	static final PostgresDatabase postgres = new PostgresDatabase();

	private static final String COPY = "0123456789abcdef0123456789abcdef";

	private static final Duration NO_HEARTBEAT = Duration.ofHours(1);

	@TempDir
	Path home;

	enum Repository {

		H2, POSTGRESQL

	}

	@ParameterizedTest
	@EnumSource(Repository.class)
	void aCopyIsHeldByOneProcessAtATimeAndFreeOnceReleased(Repository repository) {
		JdbcTemplate jdbc = repository(repository);
		RunLease first = lease(jdbc, "host-a", 101);
		RunLease second = lease(jdbc, "host-b", 202);

		assertThat(first.acquire(COPY).acquired()).isTrue();
		RunLease.Attempt refused = second.acquire(COPY);
		assertThat(refused.acquired()).isFalse();
		assertThat(refused.holder().describe()).startsWith("pid 101 on host-a (last heartbeat ");

		first.release();
		assertThat(first.holder(COPY)).isEmpty();
		RunLease.Attempt acquired = second.acquire(COPY);
		assertThat(acquired.acquired()).isTrue();
		assertThat(acquired.holder()).as("nobody was taken over").isNull();
	}

	@ParameterizedTest
	@EnumSource(Repository.class)
	void aHolderOnAnotherHostIsGoneOnlyAfterItsHeartbeatIsStaleByTheDatabaseClock(Repository repository) {
		JdbcTemplate jdbc = repository(repository);
		List<String> warnings = new CopyOnWriteArrayList<>();
		AtomicInteger lost = new AtomicInteger();
		RunLease owner = lease(jdbc, "host-a", 101);
		owner.setListeners(warnings::add, lost::incrementAndGet);
		RunLease other = lease(jdbc, "host-b", 202);
		assertThat(owner.acquire(COPY).acquired()).isTrue();

		ageHeartbeat(jdbc, repository, RunLease.STALE.toSeconds() - 5);
		assertThat(other.acquire(COPY).acquired()).as("a heartbeat %s s old", RunLease.STALE.toSeconds() - 5).isFalse();
		ageHeartbeat(jdbc, repository, RunLease.STALE.toSeconds() + 1);
		RunLease.Attempt takeOver = other.acquire(COPY);
		assertThat(takeOver.acquired()).isTrue();
		assertThat(takeOver.holder().identity().host()).isEqualTo("host-a");

		assertThat(owner.confirm()).as("the old owner may commit no more").isFalse();
		owner.beat();
		assertThat(lost).hasValue(1);
		assertThat(warnings).singleElement().asString().contains("another process took this run over");
	}

	@ParameterizedTest
	@EnumSource(Repository.class)
	void aDeadProcessOnThisHostFreesTheLeaseAtOnce(Repository repository) throws Exception {
		JdbcTemplate jdbc = repository(repository);
		Process finished = new ProcessBuilder("true").start();
		finished.waitFor(30, TimeUnit.SECONDS);
		RunLease.Identity here = RunLease.Identity.current();
		RunLease dead = new RunLease(jdbc,
				new RunLease.Identity(here.host(), here.pidNamespace(), finished.pid(), here.processStart()),
				NO_HEARTBEAT);
		assertThat(dead.acquire(COPY).acquired()).isTrue();

		// its heartbeat is fresh: only its pid says it is gone
		RunLease.Attempt attempt = here(jdbc).acquire(COPY);
		assertThat(attempt.acquired()).isTrue();
		assertThat(attempt.holder().identity().pid()).isEqualTo(finished.pid());
	}

	@ParameterizedTest
	@EnumSource(Repository.class)
	void aLivingProcessOnThisHostKeepsTheLeaseWhateverItsHeartbeat(Repository repository) {
		JdbcTemplate jdbc = repository(repository);
		assertThat(here(jdbc).acquire(COPY).acquired()).isTrue();
		ageHeartbeat(jdbc, repository, RunLease.STALE.toSeconds() * 10);

		RunLease.Attempt attempt = here(jdbc).acquire(COPY);
		assertThat(attempt.acquired()).isFalse();
		assertThat(attempt.holder().identity().pid()).isEqualTo(ProcessHandle.current().pid());
	}

	@ParameterizedTest
	@EnumSource(Repository.class)
	void exactlyOneOfSeveralContendersTakesOverAGoneHolder(Repository repository) throws Exception {
		JdbcTemplate jdbc = repository(repository);
		ExecutorService threads = Executors.newFixedThreadPool(6);
		try {
			for (int round = 0; round < 10; round++) {
				RunLease gone = lease(jdbc, "host-gone", 1);
				assertThat(gone.acquire(COPY).acquired()).isTrue();
				ageHeartbeat(jdbc, repository, RunLease.STALE.toSeconds() + 1);
				CountDownLatch start = new CountDownLatch(1);
				List<Future<Boolean>> attempts = new ArrayList<>();
				List<RunLease> contenders = new ArrayList<>();
				for (int i = 0; i < 6; i++) {
					RunLease contender = lease(jdbc, "host-" + i, 1000 + i);
					contenders.add(contender);
					attempts.add(threads.submit(() -> {
						start.await();
						return contender.acquire(COPY).acquired();
					}));
				}
				start.countDown();
				int winners = 0;
				for (Future<Boolean> attempt : attempts) {
					winners += attempt.get(60, TimeUnit.SECONDS) ? 1 : 0;
				}
				assertThat(winners).as("round %d: contenders that acquired the lease", round).isOne();
				for (RunLease contender : contenders) {
					contender.close();
				}
				assertThat(here(jdbc).holder(COPY)).as("released by its winner").isEmpty();
			}
		}
		finally {
			threads.shutdownNow();
		}
	}

	@ParameterizedTest
	@EnumSource(Repository.class)
	void aHeartbeatThatCannotBeRecordedIsWarnedOnceAndItsReturnToo(Repository repository) {
		JdbcTemplate jdbc = repository(repository);
		List<String> warnings = new CopyOnWriteArrayList<>();
		RunLease lease = here(jdbc);
		lease.setListeners(warnings::add, () -> {
		});
		assertThat(lease.acquire(COPY).acquired()).isTrue();

		jdbc.execute("ALTER TABLE " + RepositorySchema.LEASE_TABLE + " RENAME TO KEYFERRY_RUN_LEASE_AWAY");
		lease.beat();
		lease.beat();
		jdbc.execute("ALTER TABLE KEYFERRY_RUN_LEASE_AWAY RENAME TO " + RepositorySchema.LEASE_TABLE);
		lease.beat();

		assertThat(warnings).hasSize(2);
		assertThat(warnings.get(0)).startsWith("could not record this process's heartbeat in the job repository (")
			.contains("another process may take the run over after " + RunLease.STALE.toSeconds() + " s");
		assertThat(warnings.get(1)).contains("recorded in the job repository again");
		assertThat(lease.confirm()).isTrue();
	}

	/**
	 * Sets the holder's last heartbeat this many seconds back, by the database's clock.
	 */
	private static void ageHeartbeat(JdbcTemplate jdbc, Repository repository, long seconds) {
		String past = (repository == Repository.H2) ? "DATEADD(SECOND, -" + seconds + ", CURRENT_TIMESTAMP)"
				: "CURRENT_TIMESTAMP - INTERVAL '" + seconds + " seconds'";
		assertThat(jdbc.update(
				"UPDATE " + RepositorySchema.LEASE_TABLE + " SET HEARTBEAT = " + past + " WHERE COPY_KEY = ?", COPY))
			.isOne();
	}

	/** A lease of this process. */
	private static RunLease here(JdbcTemplate jdbc) {
		return new RunLease(jdbc, RunLease.Identity.current(), NO_HEARTBEAT);
	}

	/**
	 * A lease of a process on any host; its heartbeat is left to the test (it beats every
	 * hour on its own).
	 */
	private static RunLease lease(JdbcTemplate jdbc, String host, long pid) {
		return new RunLease(jdbc, new RunLease.Identity(host, "", pid, 0), NO_HEARTBEAT);
	}

	private JdbcTemplate repository(Repository repository) {
		DataSource dataSource;
		if (repository == Repository.H2) {
			dataSource = new SimpleDriverDataSource(new org.h2.Driver(),
					"jdbc:h2:file:" + this.home.resolve("lease") + ";TRACE_LEVEL_FILE=0;LOCK_TIMEOUT=10000", "sa", "");
		}
		else {
			dataSource = new SimpleDriverDataSource(new org.postgresql.Driver(), postgres.url(), postgres.user(),
					postgres.password());
		}
		new RepositorySchema(dataSource).afterPropertiesSet();
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		jdbc.update("DELETE FROM " + RepositorySchema.LEASE_TABLE);
		return jdbc;
	}

}
