package io.github.dl4jtorch.samples;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

import io.github.dl4jtorch.dropout.McDropout;
import io.github.dl4jtorch.samples.data.InMemoryDataSetIterator;
import io.github.dl4jtorch.samples.data.LabeledImages;
import io.github.dl4jtorch.samples.data.MnistData;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Monte Carlo dropout on MNIST (Gal and Ghahramani, ICML 2016): trains the docs' {@code net} (Dense(784->256) ->
 * Dropout(p) -> ReLU -> Dense(256->10)) on the embedded digits, then asks {@link McDropout#predict} for T dropout
 * samples of every test image, of the test images rotated by 90 degrees and of uniform noise, none of which the
 * network saw in training. It prints the mean predictive entropy of correct, wrong and unseen inputs (next to the
 * entropy of one plain softmax pass) and the
 * accuracy kept when the 10% least certain test images are rejected, with MC entropy as the certainty against the
 * plain softmax probability of one evaluation pass, and writes the accuracy-against-rejected-fraction curve
 * ({@code mc-dropout.png}, {@code mc-dropout-rejection.csv}) and each image's figures
 * ({@code mc-dropout-examples.csv}).
 *
 * <p>Options: {@code --epochs N} (5), {@code --p P} (0.5), {@code --samples T} (50), {@code --seed S} (1),
 * {@code --limit N} (use the first N test images; default all), {@code --out DIR} ({@code samples/out}).
 */
public final class McDropoutMnist {

    private static final int HIDDEN = 256;
    private static final int BATCH = 64;
    private static final double LEARNING_RATE = 1e-3;
    /** Share of the least certain test images rejected for the headline accuracy. */
    private static final double HEADLINE_REJECTION = 0.10;
    private static final int CURVE_POINTS = 91; // rejected fraction 0, 0.01, ..., 0.90

    private McDropoutMnist() {
    }

    /**
     * Entry point.
     *
     * @param args the options, see the class description
     */
    public static void main(String[] args) throws IOException {
        int status = run(args, System.out);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Per input set, the figures of each image. */
    record Scores(String set, int[] labels, int[] mcPredictions, double[] entropy, double[] mutualInformation,
                  int[] softmaxPredictions, double[] softmaxConfidence, double[] softmaxEntropy) {
        int size() {
            return entropy.length;
        }

        double mcAccuracy(double rejected) {
            return keptAccuracy(mcPredictions, i -> -entropy[i], rejected);
        }

        double softmaxAccuracy(double rejected) {
            return keptAccuracy(softmaxPredictions, i -> softmaxConfidence[i], rejected);
        }

        /** Accuracy on the {@code 1 - rejected} share of images with the highest certainty. */
        private double keptAccuracy(int[] predictions, java.util.function.IntToDoubleFunction certainty,
                                    double rejected) {
            Integer[] order = IntStream.range(0, size()).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -certainty.applyAsDouble(i)));
            int kept = Math.max(1, (int) Math.round(size() * (1 - rejected)));
            int correct = 0;
            for (int k = 0; k < kept; k++) {
                correct += predictions[order[k]] == labels[order[k]] ? 1 : 0;
            }
            return (double) correct / kept;
        }

        /** Mean of {@code values} (one per image) over the images {@code which} selects. */
        double mean(double[] values, java.util.function.IntPredicate which) {
            return IntStream.range(0, size()).filter(which).mapToDouble(i -> values[i]).average().orElse(Double.NaN);
        }
    }

    static int run(String[] args, PrintStream out) throws IOException {
        int epochs = 5;
        double p = 0.5;
        int samples = 50;
        long seed = 1;
        int limit = Integer.MAX_VALUE;
        Path dir = Paths.get(System.getProperty("samples.out", "samples/out"));
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + args[i] + " needs a value");
            }
            String value = args[i + 1];
            switch (args[i]) {
                case "--epochs" -> epochs = Integer.parseInt(value);
                case "--p" -> p = Double.parseDouble(value);
                case "--samples" -> samples = Integer.parseInt(value);
                case "--seed" -> seed = Long.parseLong(value);
                case "--limit" -> limit = Integer.parseInt(value);
                case "--out" -> dir = Paths.get(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (options: --epochs --p --samples --seed --limit --out)");
            }
        }
        MnistMlp.useThreads(1);
        MnistData data = MnistData.embedded();
        out.println("Data: " + data.describe());
        Nd4j.getRandom().setSeed(seed);
        MultiLayerNetwork network = MnistNetworks.build(MnistNetworks.Model.NET, data.train().pixelsPerImage(), HIDDEN,
                data.classes(), p, LEARNING_RATE, seed);
        out.println("Network: " + MnistNetworks.describe(network.getLayerWiseConfigurations()) + "; " + epochs
                + " epochs, batch " + BATCH + ", Adam lr " + LEARNING_RATE + ", seed " + seed);
        long start = System.nanoTime();
        DataSet train = data.train().dataSet(data.classes());
        network.fit(new InMemoryDataSetIterator(train, BATCH, seed), epochs);
        out.printf(Locale.ROOT, "Trained in %.1f s%n", (System.nanoTime() - start) / 1e9);

        LabeledImages test = data.test();
        int count = Math.min(limit, test.count());
        INDArray digits = test.features().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, count),
                org.nd4j.linalg.indexing.NDArrayIndex.all()).dup();
        int[] labels = IntStream.range(0, count).map(test::label).toArray();
        INDArray rotated = rotate90(digits, test.rows(), test.columns());
        INDArray noise = Nd4j.getRandomFactory().getNewRandomInstance(seed)
                .nextFloat(new long[] {count, digits.size(1)}).castTo(DataType.FLOAT);

        start = System.nanoTime();
        Nd4j.getRandom().setSeed(seed);
        List<Scores> sets = new ArrayList<>();
        sets.add(score("test", network, digits, labels, samples));
        sets.add(score("rotated", network, rotated, labels, samples));
        sets.add(score("noise", network, noise, new int[count], samples));
        out.printf(Locale.ROOT, "%d Monte Carlo passes over %d images x 3 sets in %.1f s%n", samples, count,
                (System.nanoTime() - start) / 1e9);

        Scores digitScores = sets.get(0);
        int[] mc = digitScores.mcPredictions();
        int[] single = digitScores.softmaxPredictions();
        out.printf(Locale.ROOT, "%nMean predictive entropy (nats; ln 10 = %.3f is the most uncertain):%n", Math.log(10));
        out.println("                   MC dropout (T=" + samples + ")   softmax (1 pass)");
        printEntropies(out, "test, correct ", digitScores, i -> mc[i] == labels[i], i -> single[i] == labels[i]);
        printEntropies(out, "test, wrong   ", digitScores, i -> mc[i] != labels[i], i -> single[i] != labels[i]);
        printEntropies(out, "rotated 90 deg", sets.get(1), i -> true, i -> true);
        printEntropies(out, "uniform noise ", sets.get(2), i -> true, i -> true);
        out.println("  (correct and wrong: by each method's own prediction)");
        out.printf(Locale.ROOT, "%nTest accuracy                          MC dropout (T=%d)   softmax (1 pass)%n", samples);
        out.printf(Locale.ROOT, "  all %d images                     %8.2f%%         %8.2f%%%n", count,
                100 * digitScores.mcAccuracy(0), 100 * digitScores.softmaxAccuracy(0));
        out.printf(Locale.ROOT, "  10%% least certain rejected         %8.2f%%         %8.2f%%%n",
                100 * digitScores.mcAccuracy(HEADLINE_REJECTION), 100 * digitScores.softmaxAccuracy(HEADLINE_REJECTION));
        out.println("  (certainty: MC dropout: low predictive entropy of the mean; softmax: high top probability)");

        Files.createDirectories(dir);
        Path absolute = dir.toAbsolutePath().normalize();
        out.println();
        out.println("Outputs in " + absolute + ":");
        writeCurve(digitScores, absolute.resolve("mc-dropout-rejection.csv"));
        out.println("  mc-dropout-rejection.csv  rejected_fraction,accuracy_mc_entropy,accuracy_softmax_confidence");
        writeExamples(sets, absolute.resolve("mc-dropout-examples.csv"));
        out.println("  mc-dropout-examples.csv   set,index,label,mc_prediction,mc_entropy,mc_mutual_information,"
                + "softmax_prediction,softmax_confidence");
        System.setProperty("java.awt.headless", "true");
        writeChart(digitScores, samples, count, absolute.resolve("mc-dropout.png"));
        out.println("  mc-dropout.png            accuracy against rejected fraction");
        return 0;
    }

    private static void printEntropies(PrintStream out, String label, Scores scores,
                                       java.util.function.IntPredicate mcSelects,
                                       java.util.function.IntPredicate softmaxSelects) {
        out.printf(Locale.ROOT, "  %s   %8.4f            %8.4f%n", label, scores.mean(scores.entropy(), mcSelects),
                scores.mean(scores.softmaxEntropy(), softmaxSelects));
    }

    /** MC dropout's and one evaluation pass's figures of each image of {@code x}. */
    private static Scores score(String set, MultiLayerNetwork network, INDArray x, int[] labels, int samples) {
        McDropout.Prediction prediction = McDropout.predict(network, x, samples);
        INDArray softmax = network.output(x);
        return new Scores(set, labels, argMax(prediction.mean()), prediction.entropy().toDoubleVector(),
                prediction.mutualInformation().toDoubleVector(), argMax(softmax),
                softmax.max(1).castTo(DataType.DOUBLE).toDoubleVector(),
                Arrays.stream(softmax.toDoubleMatrix()).mapToDouble(McDropoutMnist::entropy).toArray());
    }

    /** {@code -sum q ln q}, with {@code 0 ln 0 = 0}. */
    private static double entropy(double[] probabilities) {
        return -Arrays.stream(probabilities).map(q -> q == 0 ? 0 : q * Math.log(q)).sum();
    }

    private static int[] argMax(INDArray probabilities) {
        return probabilities.argMax(1).toIntVector();
    }

    /** Each image of {@code images} ([N, rows * columns], row-major) turned 90 degrees clockwise. */
    static INDArray rotate90(INDArray images, int rows, int columns) {
        float[][] in = images.toFloatMatrix();
        float[][] turned = new float[in.length][rows * columns];
        for (int n = 0; n < in.length; n++) {
            for (int r = 0; r < columns; r++) {          // the turned image has `columns` rows and `rows` columns
                for (int c = 0; c < rows; c++) {
                    turned[n][r * rows + c] = in[n][(rows - 1 - c) * columns + r];
                }
            }
        }
        return Nd4j.createFromArray(turned);
    }

    private static double[] rejectedFractions() {
        return IntStream.range(0, CURVE_POINTS).mapToDouble(i -> i / 100.0).toArray();
    }

    private static void writeCurve(Scores scores, Path file) throws IOException {
        List<String> lines = new ArrayList<>(List.of("rejected_fraction,accuracy_mc_entropy,accuracy_softmax_confidence"));
        for (double rejected : rejectedFractions()) {
            lines.add(String.format(Locale.ROOT, "%.2f,%.6f,%.6f", rejected, scores.mcAccuracy(rejected),
                    scores.softmaxAccuracy(rejected)));
        }
        Files.write(file, lines);
    }

    private static void writeExamples(List<Scores> sets, Path file) throws IOException {
        List<String> lines = new ArrayList<>(List.of("set,index,label,mc_prediction,mc_entropy,mc_mutual_information,"
                + "softmax_prediction,softmax_confidence"));
        for (Scores s : sets) {
            boolean labelled = !s.set().equals("noise");
            for (int i = 0; i < s.size(); i++) {
                lines.add(String.format(Locale.ROOT, "%s,%d,%s,%d,%.6f,%.6f,%d,%.6f", s.set(), i,
                        labelled ? String.valueOf(s.labels()[i]) : "", s.mcPredictions()[i], s.entropy()[i],
                        s.mutualInformation()[i], s.softmaxPredictions()[i], s.softmaxConfidence()[i]));
            }
        }
        Files.write(file, lines);
    }

    private static void writeChart(Scores scores, int samples, int count, Path file) throws IOException {
        double[] rejected = rejectedFractions();
        double[] percentRejected = Arrays.stream(rejected).map(r -> 100 * r).toArray();
        XYChart chart = new XYChartBuilder().width(AccuracyChart.WIDTH).height(AccuracyChart.HEIGHT)
                .title("Accuracy on the most certain test digits (" + count + " images)")
                .xAxisTitle("rejected: least certain share of the test images (%)")
                .yAxisTitle("accuracy on the rest (%)").build();
        XYSeries mc = chart.addSeries("MC dropout, T=" + samples + ": predictive entropy", percentRejected,
                Arrays.stream(rejected).map(r -> 100 * scores.mcAccuracy(r)).toArray());
        mc.setLineColor(new Color(0x1F77B4));
        mc.setMarkerColor(new Color(0x1F77B4));
        XYSeries softmax = chart.addSeries("one pass: softmax top probability", percentRejected,
                Arrays.stream(rejected).map(r -> 100 * scores.softmaxAccuracy(r)).toArray());
        softmax.setLineColor(new Color(0xD62728));
        softmax.setMarkerColor(new Color(0xD62728));
        mc.setMarker(SeriesMarkers.NONE);
        softmax.setMarker(SeriesMarkers.NONE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setLegendPosition(LegendPosition.InsideSE);
        chart.getStyler().setXAxisDecimalPattern("0");
        chart.getStyler().setYAxisDecimalPattern("0.#");
        try (OutputStream stream = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(chart, stream, BitmapFormat.PNG);
        }
    }
}
