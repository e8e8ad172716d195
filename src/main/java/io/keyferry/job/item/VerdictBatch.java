package io.keyferry.job.item;

import java.util.List;

import io.keyferry.redis.KeyVerdict;

/**
 * The verdicts of one {@link KeyBatch}: one per key read.
 *
 * @param verdicts the verdicts, in read order
 */
public record VerdictBatch(List<KeyVerdict> verdicts) {
}
