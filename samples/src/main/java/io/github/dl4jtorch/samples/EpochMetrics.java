package io.github.dl4jtorch.samples;

/**
 * What one training epoch achieved.
 *
 * @param epoch     1-based epoch number
 * @param trainLoss mean cross-entropy over the epoch's minibatches, with dropout active (as
 *                  PyTorch scripts usually report it)
 * @param trainAcc  accuracy on the whole training set after the epoch, dropout off (evaluation)
 * @param testAcc   accuracy on the test set after the epoch, dropout off
 * @param seconds   wall-clock time of the epoch, evaluation included
 */
public record EpochMetrics(int epoch, double trainLoss, double trainAcc, double testAcc, double seconds) {
}
