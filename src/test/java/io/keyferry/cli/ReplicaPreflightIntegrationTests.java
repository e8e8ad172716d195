package io.keyferry.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.keyferry.testsupport.CopySummary;
import io.keyferry.testsupport.Keyspace;
import io.keyferry.testsupport.KeyspaceComparison;
import io.keyferry.testsupport.RedisCluster;
import io.keyferry.testsupport.RedisClusterExtension;
import io.keyferry.testsupport.RedisServer;
import io.keyferry.testsupport.RedisServerExtension;
import io.keyferry.testsupport.TestData;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Least privilege with {@code --read-from replica} on a real cluster (3 masters, 1
 * replica each): a source user who may not run {@code READONLY} on the replicas is
 * refused before anything is written, the command and a replica named; with the README's
 * set ({@code +readonly +cluster|nodes} besides the source's commands) the copy
 * completes.
 */
@ExtendWith({ RedisClusterExtension.class, RedisServerExtension.class })
class ReplicaPreflightIntegrationTests {

	private static final List<String> SOURCE = List.of("info", "scan", "dump", "pexpiretime", "time", "cluster|nodes");

	private static final String USER = "kf-source";

	private static final String PASSWORD = "replica-pw";

	@TempDir
	Path home;

	@Test
	void aUserWhoMayNotRunReadonlyOnTheReplicasIsRefusedAndTheListedSetCopies(RedisCluster source, RedisServer target) {
		TestData.keys(300).loadInto(source);
		source.awaitReplicated();
		source.nodes().forEach((node) -> grant(node, SOURCE));
		String uri = "redis://" + USER + ":" + PASSWORD + "@" + source.masters().get(0).address();

		CliRun refused = CliRun.copy(this.home, uri, target.uri(), "--read-from", "replica");

		refused.assertExitCode(ExitCode.USAGE).assertJsonError();
		assertThat(refused.errorLine())
			.isEqualTo("error: the source user " + USER + " may not run READONLY, which this copy needs");
		assertThat(refused.hintLine()).contains("ACL SETUSER " + USER + " +readonly")
			.containsAnyOf(source.replicas().stream().map(RedisCluster.Node::address).toArray(String[]::new));
		assertThat(target.sync().dbsize()).as("keys written before the refusal").isZero();

		List<String> withReadonly = new ArrayList<>(SOURCE);
		withReadonly.add("readonly");
		source.nodes().forEach((node) -> grant(node, withReadonly));
		CliRun copied = CliRun.copy(this.home, uri, target.uri(), "--read-from", "replica");

		copied.assertExitCode(ExitCode.OK);
		CopySummary summary = copied.balancedSummary();
		assertThat(summary.written()).isEqualTo(300);
		KeyspaceComparison.assertSameContent(Keyspace.of(source), Keyspace.of(target),
				KeyspaceComparison.LOOSE_TTL_TOLERANCE);
	}

	/**
	 * Makes (or remakes) the user on a node, allowed exactly the given commands on every
	 * key.
	 */
	private static void grant(RedisCluster.Node node, List<String> commands) {
		CommandArgs<String, String> args = new CommandArgs<>(StringCodec.UTF8).add("SETUSER")
			.add(USER)
			.add("reset")
			.add("on")
			.add(">" + PASSWORD)
			.add("~*");
		commands.forEach((command) -> args.add("+" + command));
		node.server().sync().dispatch(CommandType.ACL, new StatusOutput<>(StringCodec.UTF8), args);
	}

}
