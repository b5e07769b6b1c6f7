package io.gradspark.eval;

/**
 * What one epoch of training measured. Losses are means per row; accuracies are fractions in [0, 1].
 * A metric that was not measured (no validation set, a regression head) is {@code Double.NaN}.
 *
 * @param epoch 1-based epoch number
 * @param steps optimizer steps taken in this epoch
 * @param trainLoss mean loss over the epoch's training rows, each at the parameters of its step
 * @param seconds wall time of the epoch's training steps (evaluation excluded)
 * @param samplesPerSecond training rows processed per second of {@code seconds}
 */
public record EpochStats(
    int epoch,
    int steps,
    double trainLoss,
    double valLoss,
    double valAccuracy,
    double testLoss,
    double testAccuracy,
    double seconds,
    double samplesPerSecond) {}
