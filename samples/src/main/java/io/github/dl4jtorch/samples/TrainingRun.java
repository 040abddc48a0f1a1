package io.github.dl4jtorch.samples;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/** One network trained for some epochs: its name, drop probability, network and per-epoch metrics. */
public final class TrainingRun {

    private final String model;
    private final double p;
    private final MultiLayerNetwork network;
    private final List<EpochMetrics> epochs = new ArrayList<>();

    /**
     * @param model   the network's name ({@code net} or {@code dropoutnet})
     * @param p       its drop probability
     * @param network the network being trained
     */
    public TrainingRun(String model, double p, MultiLayerNetwork network) {
        this.model = model;
        this.p = p;
        this.network = network;
    }

    /** The network's name. */
    public String model() {
        return model;
    }

    /** The drop probability. */
    public double p() {
        return p;
    }

    /** The network. */
    public MultiLayerNetwork network() {
        return network;
    }

    /** Short label such as {@code net p=0.2}, for progress lines, tables and legends. */
    public String label() {
        return model + " p=" + formatP(p);
    }

    /** File-name-safe label such as {@code net-p0.2}. */
    public String fileLabel() {
        return model + "-p" + formatP(p);
    }

    /** Metrics of the epochs trained so far, oldest first. */
    public List<EpochMetrics> epochs() {
        return Collections.unmodifiableList(epochs);
    }

    /** Metrics of the latest epoch; the run must have trained at least one. */
    public EpochMetrics last() {
        return epochs.get(epochs.size() - 1);
    }

    void add(EpochMetrics metrics) {
        epochs.add(metrics);
    }

    /** {@code 0.2}, {@code 0.5}, {@code 0}: no trailing zeros. */
    static String formatP(double p) {
        String text = String.format(Locale.ROOT, "%.4f", p).replaceAll("0+$", "");
        return text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
    }
}
