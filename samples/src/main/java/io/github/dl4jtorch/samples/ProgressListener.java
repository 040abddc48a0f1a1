package io.github.dl4jtorch.samples;

import java.io.PrintStream;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * A Deeplearning4j training listener that reports each epoch of one {@link TrainingRun}: the mean
 * training loss of its minibatches, then, at the epoch's end, accuracy on the training and the
 * test set from DL4J's {@code Evaluation} (dropout off), recorded in the run and printed as a
 * progress line.
 *
 * <p>Example:
 * <pre>{@code
 * network.setListeners(new ProgressListener(run, epochs, trainInOrder, test, new ProgressListener.Clock(epochs), System.out));
 * network.fit(trainShuffled, epochs);
 * }</pre>
 */
final class ProgressListener extends BaseTrainingListener {

    /** Elapsed time and time left over all the epochs of a job, which may train several runs. */
    static final class Clock {
        private final int totalEpochs;
        private final long start = System.nanoTime();
        private int done;

        /** @param totalEpochs epochs of all runs together */
        Clock(int totalEpochs) {
            this.totalEpochs = totalEpochs;
        }

        /** Seconds since the clock was made. */
        double elapsed() {
            return (System.nanoTime() - start) / 1e9;
        }

        /**
         * Counts an epoch as done and returns the estimated seconds left, at the mean pace so far.
         *
         * @param elapsed {@link #elapsed()} when the epoch was done
         */
        double epochDone(double elapsed) {
            done++;
            return elapsed / done * (totalEpochs - done);
        }
    }

    private final TrainingRun run;
    private final int epochs;
    private final DataSetIterator trainEvaluation;
    private final DataSetIterator testEvaluation;
    private final Clock clock;
    private final PrintStream out;

    private long epochStart;
    private double lossSum;
    private long examples;

    /**
     * @param run             the network's run, where the epochs are recorded
     * @param epochs          epochs the run trains, for the {@code epoch 3/20} count
     * @param trainEvaluation the training set, for training accuracy (order does not matter)
     * @param testEvaluation  the test set
     * @param clock           the job's clock, shared by its runs
     * @param out             where the progress lines go
     */
    ProgressListener(TrainingRun run, int epochs, DataSetIterator trainEvaluation, DataSetIterator testEvaluation,
                     Clock clock, PrintStream out) {
        this.run = run;
        this.epochs = epochs;
        this.trainEvaluation = trainEvaluation;
        this.testEvaluation = testEvaluation;
        this.clock = clock;
        this.out = out;
    }

    @Override
    public void onEpochStart(Model model) {
        epochStart = System.nanoTime();
        lossSum = 0;
        examples = 0;
    }

    /** Called after each minibatch's update; the score is that minibatch's mean loss, from the forward pass before it. */
    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        // Weighted by size: the epoch's last minibatch may be smaller.
        lossSum += model.score() * model.batchSize();
        examples += model.batchSize();
    }

    @Override
    public void onEpochEnd(Model model) {
        MultiLayerNetwork network = (MultiLayerNetwork) model;
        double trainAcc = network.evaluate(trainEvaluation).accuracy();
        double testAcc = network.evaluate(testEvaluation).accuracy();
        EpochMetrics metrics = new EpochMetrics(run.epochs().size() + 1, lossSum / examples, trainAcc, testAcc,
                (System.nanoTime() - epochStart) / 1e9);
        run.add(metrics);
        double elapsed = clock.elapsed();
        out.println(Reports.progressLine(run, metrics, epochs, elapsed, clock.epochDone(elapsed)));
    }
}
