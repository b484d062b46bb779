package dev.chatforge.report;

/**
 * One line of a run's {@code metrics.jsonl}. Every field but the step may be absent: the line of
 * step 0 holds only the first validation loss, a line between evaluations has no validation loss.
 *
 * @param step         optimizer steps completed
 * @param trainLoss    mean training loss since the previous line (nats/token), or null
 * @param valLoss      validation loss at this step (nats/token), or null when not evaluated
 * @param learningRate learning rate of the step, or null
 * @param gradNorm     global gradient norm before clipping, or null
 * @param tokensPerSec training throughput since the previous line, or null
 * @param tokensSeen   input tokens processed so far, or null
 * @param elapsedS     training time so far in seconds, or null
 */
public record MetricPoint(long step, Double trainLoss, Double valLoss, Double learningRate, Double gradNorm,
                          Double tokensPerSec, Double tokensSeen, Double elapsedS) {}
