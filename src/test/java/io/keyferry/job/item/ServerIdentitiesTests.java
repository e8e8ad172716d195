package io.keyferry.job.item;

import io.keyferry.job.item.ServerIdentities.Ids;
import io.keyferry.redis.Endpoint;
import org.junit.jupiter.api.Test;
import org.springframework.batch.infrastructure.item.ExecutionContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rule that decides when a partition's checkpoint belongs to server processes that
 * are gone.
 */
class ServerIdentitiesTests {

	private static final Endpoint SOURCE = Endpoint.parse("source", "redis://src.example:6379");

	private static final Endpoint TARGET = Endpoint.parse("target", "redis://dst.example:6379");

	private final ServerIdentities copying = identities(true);

	@Test
	void sameProcessesAreUnchanged() {
		assertThat(this.copying.changed(new Ids("a", "t"), new Ids("a", "t"))).isNull();
	}

	@Test
	void newSourceProcessInvalidatesTheCursors() {
		assertThat(this.copying.changed(new Ids("a", "t"), new Ids("b", "t")))
			.startsWith(
					"source redis://src.example:6379/0 is a new server process since the checkpoint (run_id changed")
			.contains("SCAN cursors are not valid");
	}

	@Test
	void newTargetProcessMeansCopyingAgain() {
		assertThat(this.copying.changed(new Ids("a", "t"), new Ids("a", "u")))
			.startsWith("target redis://dst.example:6379/0 is a new server process")
			.contains("copied again");
	}

	@Test
	void bothChangedAreNamed() {
		assertThat(this.copying.changed(new Ids("a", "t"), new Ids("b", "u"))).contains("source redis://src",
				"and target redis://dst", "are new server processes");
	}

	@Test
	void targetDoesNotMatterWhenNothingIsWritten() {
		assertThat(identities(false).changed(new Ids("a", "t"), new Ids("a", "u"))).isNull();
		assertThat(identities(false).changed(new Ids("a", "t"), new Ids("b", "u"))).startsWith("source");
	}

	@Test
	void checkpointsWithoutIdsAreTakenAsUnchanged() {
		assertThat(this.copying.changed(new Ids(null, null), new Ids("b", "u"))).isNull();
	}

	@Test
	void finishedPartitionOfTheCurrentProcessesIsDone() {
		ExecutionContext context = context(true, "a", "t");
		assertThat(this.copying.unfinished(context, new Ids("a", "t"))).isNull();
	}

	@Test
	void finishedPartitionOfAnotherSourceProcessIsNotDone() {
		assertThat(this.copying.unfinished(context(true, "a", "t"), new Ids("b", "t"))).startsWith("source");
	}

	@Test
	void finishedPartitionOfAnotherTargetProcessIsNotDone() {
		assertThat(this.copying.unfinished(context(true, "a", "t"), new Ids("a", "u"))).startsWith("target");
	}

	@Test
	void partitionSentBackToItsStartIsNotDone() {
		assertThat(this.copying.unfinished(context(false, "b", "t"), new Ids("b", "t")))
			.isEqualTo("its slice was not scanned to the end");
	}

	@Test
	void idsRoundTripThroughTheCheckpoint() {
		ExecutionContext context = new ExecutionContext();
		new Ids("a", "t").saveIn(context);
		assertThat(Ids.savedIn(context)).isEqualTo(new Ids("a", "t"));
		assertThat(Ids.savedIn(new ExecutionContext())).isEqualTo(new Ids(null, null));
	}

	private static ExecutionContext context(boolean done, String source, String target) {
		ExecutionContext context = new ExecutionContext();
		context.putString(Checkpoint.DONE, Boolean.toString(done));
		new Ids(source, target).saveIn(context);
		return context;
	}

	private static ServerIdentities identities(boolean targetWritten) {
		return new ServerIdentities(SOURCE, TARGET, () -> "a", () -> "t", targetWritten);
	}

}
