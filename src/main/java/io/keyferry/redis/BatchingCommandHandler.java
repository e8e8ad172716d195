package io.keyferry.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.protocol.CommandHandler;
import io.lettuce.core.protocol.CommandWrapper;
import io.lettuce.core.protocol.Endpoint;
import io.lettuce.core.protocol.RedisCommand;
import io.lettuce.core.resource.ClientResources;

/**
 * Lettuce's command handler, taught one thing through its decoding hooks: a
 * {@link Pipeline.Batch} is one command on the wire's stack that takes one reply per
 * command of the batch. Each reply is decoded into the output of the batch's next command
 * ({@link #getCommandOutput}), which then completes; the batch leaves the stack with its
 * last reply ({@link #canComplete}). Every other command is handled as Lettuce does.
 * Installed by {@link BatchingRedisClient}; runs on the channel's event loop.
 */
final class BatchingCommandHandler extends CommandHandler {

	BatchingCommandHandler(ClientOptions clientOptions, ClientResources clientResources, Endpoint endpoint) {
		super(clientOptions, clientResources, endpoint);
	}

	@Override
	protected CommandOutput<?, ?, ?> getCommandOutput(RedisCommand<?, ?, ?> command) {
		Pipeline.Batch batch = CommandWrapper.unwrap(command, Pipeline.Batch.class);
		return (batch != null) ? batch.nextOutput() : super.getCommandOutput(command);
	}

	@Override
	protected boolean canComplete(RedisCommand<?, ?, ?> command) {
		Pipeline.Batch batch = CommandWrapper.unwrap(command, Pipeline.Batch.class);
		return (batch != null) ? batch.replied() : super.canComplete(command);
	}

}
