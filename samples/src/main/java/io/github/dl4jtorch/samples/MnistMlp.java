package io.github.dl4jtorch.samples;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.github.dl4jtorch.samples.data.InMemoryDataSetIterator;
import io.github.dl4jtorch.samples.data.MnistData;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The PyTorch dropout docs' MNIST classifiers, trained with Deeplearning4j and this project's
 * {@code Dropout} layer: progress per epoch, a final table, {@code metrics.csv}, an accuracy chart and
 * the trained models, saved and reloaded as a check. Run with {@code --help} for the options.
 *
 * <p>By default it trains the docs' {@code net} (Dense(784->256) -> Dropout(0.2) -> ReLU ->
 * Dense(256->10)) for 20 epochs on the embedded subset of 10,000 real MNIST digits, offline, in
 * about 15 seconds on two idle cores.
 *
 * <p>It trains as Deeplearning4j's own examples do: {@code network.fit(iterator, epochs)} on an
 * {@link InMemoryDataSetIterator} that reshuffles every epoch, with a {@link ProgressListener} that
 * evaluates the network with DL4J's {@code Evaluation} after each epoch.
 */
public final class MnistMlp {

    /** Examples per forward pass when evaluating: bounds memory only, accuracy does not depend on it. */
    private static final int EVALUATION_BATCH = 2048;

    private final MnistMlpOptions options;
    private final PrintStream out;

    private MnistMlp(MnistMlpOptions options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /**
     * Entry point.
     *
     * @param args the options; {@code --help} lists them
     */
    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * Runs the sample and returns its exit status: 0 on success, 1 if data or outputs fail, 2 for bad
     * options.
     */
    static int run(String[] args, PrintStream out, PrintStream err) {
        MnistMlpOptions options;
        try {
            options = MnistMlpOptions.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.println();
            err.println(MnistMlpOptions.usage());
            return 2;
        }
        if (options.help) {
            out.println(MnistMlpOptions.usage());
            return 0;
        }
        try {
            return new MnistMlp(options, out).execute();
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    private int execute() throws IOException {
        useThreads(options.threads);
        MnistData data = MnistData.locate(options.dataDir, options.embedded);
        out.println("Data: " + data.describe());
        out.println("Settings: " + options.summary());

        List<Double> dropProbabilities = new ArrayList<>(List.of(options.effectiveP()));
        if (options.compare && options.effectiveP() != 0) {
            dropProbabilities.add(0.0);
        } else if (options.compare) {
            out.println("--compare: p is already 0, so there is only one network to train");
        }
        DataSet train = data.train().dataSet(data.classes());
        DataSet test = data.test().dataSet(data.classes());
        DataSetIterator trainEvaluation = new InMemoryDataSetIterator(train, EVALUATION_BATCH);
        DataSetIterator testEvaluation = new InMemoryDataSetIterator(test, EVALUATION_BATCH);
        ProgressListener.Clock clock = new ProgressListener.Clock(dropProbabilities.size() * options.epochs);
        List<TrainingRun> runs = new ArrayList<>();
        for (double p : dropProbabilities) {
            // Same seed for every run: same initial weights and minibatch order, so a comparison
            // shows the effect of dropout and nothing else.
            Nd4j.getRandom().setSeed(options.seed);
            MultiLayerNetwork network = MnistNetworks.build(options.model, data.train().pixelsPerImage(),
                    options.hidden, data.classes(), p, options.lr, options.seed);
            TrainingRun run = new TrainingRun(options.model.cliName(), p, network);
            out.println("Network " + run.label() + ": " + MnistNetworks.describe(network.getLayerWiseConfigurations()));
            network.setListeners(new ProgressListener(run, options.epochs, trainEvaluation, testEvaluation, clock, out));
            network.fit(new InMemoryDataSetIterator(train, options.batch, options.seed), options.epochs);
            runs.add(run);
        }

        out.println();
        Reports.finalTable(runs).forEach(out::println);
        out.println();
        return writeOutputs(runs, data, test.getFeatures());
    }

    /**
     * Limits ND4J's own thread pool and OpenBLAS to {@code threads}. The layers here are small (a
     * 64x784 batch against 784x256 weights): splitting such products over threads costs more than it
     * saves, and when another process competes for the cores, threads that wait for each other
     * slowed epochs tenfold in our measurements. One thread was both faster and steadier.
     */
    static void useThreads(int threads) {
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
        // OpenMP's count for parallel regions started from this (the training) thread; without it
        // libnd4j's element-wise kernels keep using every core.
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
    }

    private int writeOutputs(List<TrainingRun> runs, MnistData data, INDArray testFeatures) throws IOException {
        Path dir = options.out.toAbsolutePath().normalize();
        Files.createDirectories(dir);
        out.println("Outputs in " + dir + ":");

        Path csv = dir.resolve("metrics.csv");
        Reports.writeCsv(runs, csv);
        out.println("  " + csv.getFileName() + "   per-epoch loss and accuracy (" + Reports.CSV_HEADER + ")");

        Path chart = dir.resolve("accuracy.png");
        String settings = String.format(Locale.ROOT, "%d training / %d test images, batch %d, Adam lr %s, seed %d",
                data.train().count(), data.test().count(), options.batch, options.lr, options.seed);
        try {
            System.setProperty("java.awt.headless", "true");
            AccuracyChart.write(runs, "Accuracy per epoch, " + options.model.cliName()
                    + " (solid: test, dashed: train)", settings, chart);
            out.println("  " + chart.getFileName() + "  accuracy curves");
        } catch (RuntimeException | LinkageError | InternalError e) {
            // A JVM without usable fonts or graphics libraries: the other outputs are still worth having.
            out.println("  accuracy.png could not be drawn on this JVM (" + e + ")");
        }

        boolean allIdentical = true;
        for (TrainingRun run : runs) {
            allIdentical &= saveAndCheck(run, dir.resolve(run.fileLabel() + ".zip"), testFeatures);
        }
        return allIdentical ? 0 : 1;
    }

    /** Saves the model, reloads it and checks that it computes exactly the same test outputs. */
    private boolean saveAndCheck(TrainingRun run, Path file, INDArray testFeatures) throws IOException {
        File target = file.toFile();
        ModelSerializer.writeModel(run.network(), target, true);
        MultiLayerNetwork reloaded = ModelSerializer.restoreMultiLayerNetwork(target, true);
        INDArray expected = run.network().output(testFeatures, false);
        INDArray actual = reloaded.output(testFeatures, false);
        double maxDifference = Transforms.abs(expected.sub(actual)).maxNumber().doubleValue();
        boolean identical = maxDifference == 0 && reloaded.params().equals(run.network().params());
        out.printf(Locale.ROOT, "  %s  %s, saved with ModelSerializer and reloaded: outputs on the %d test images %s%n",
                file.getFileName(), run.label(), testFeatures.rows(),
                identical ? "identical" : "DIFFER (max |difference| " + maxDifference + ")");
        return identical;
    }
}
