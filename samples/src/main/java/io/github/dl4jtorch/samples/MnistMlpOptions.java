package io.github.dl4jtorch.samples;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import io.github.dl4jtorch.samples.MnistNetworks.Model;

/** Command-line options of {@link MnistMlp}, with their defaults and checks. */
public final class MnistMlpOptions {

    /** System property naming the default output folder; the samples' pom sets it to {@code samples/out}. */
    static final String OUT_PROPERTY = "samples.out";

    Model model = Model.NET;
    /** {@code null} until given: the model's own default then applies. */
    Double p;
    int hidden = 256;
    int epochs = 20;
    int batch = 64;
    double lr = 1e-3;
    long seed = 1;
    int threads = 1;
    Path dataDir;
    boolean embedded;
    boolean compare;
    Path out = Path.of(System.getProperty(OUT_PROPERTY, "mnist-out"));
    boolean help;

    /** The usage text printed by {@code --help} and after a bad option. */
    static String usage() {
        List<String> lines = new ArrayList<>(List.of(
                "Trains the PyTorch dropout docs' MNIST networks with dl4j-torch-dropout's Dropout layer.",
                "",
                "Options (defaults in brackets):",
                option("--model " + String.join("|", Model.names()), "the network [" + Model.NET.cliName() + "]:")));
        for (Model model : Model.values()) {
            lines.add(option("", "  " + model.cliName() + ": " + model.summary()));
        }
        lines.addAll(List.of(
                option("--p P", "probability of zeroing an activation [" + Arrays.stream(Model.values())
                        .map(m -> TrainingRun.formatP(m.defaultP()) + " for " + m.cliName())
                        .collect(Collectors.joining(", ")) + "]"),
                option("--hidden H", "units per hidden layer [256]"),
                option("--epochs N", "passes over the training set [20]"),
                option("--batch B", "minibatch size [64]"),
                option("--lr LR", "Adam learning rate [0.001]"),
                option("--seed S", "seed of initialisation, shuffling and dropout masks [1]"),
                option("--threads N", "CPU threads for ND4J and BLAS [1: fastest for these small layers]"),
                option("--data-dir DIR", "read train-/t10k- images and labels in MNIST's IDX format from DIR"),
                option("", "(raw or .gz) [full MNIST from DL4J's cache if there, else the"),
                option("", "embedded 10,000-digit subset]"),
                option("--embedded", "use the embedded subset even if DL4J's cache holds full MNIST"),
                option("--compare", "also train the same network with p=0 and compare"),
                option("--out DIR", "where metrics.csv, accuracy.png and the models go [samples/out]"),
                option("--help", "print this text")));
        return String.join(System.lineSeparator(), lines);
    }

    /** One line of the usage text: the option in a column of its own, then what it means. */
    private static String option(String option, String meaning) {
        return String.format(Locale.ROOT, "  %-22s  %s", option, meaning);
    }

    /**
     * Parses the arguments.
     *
     * @throws IllegalArgumentException naming the offending option
     */
    static MnistMlpOptions parse(String... args) {
        MnistMlpOptions options = new MnistMlpOptions();
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            switch (option) {
                case "--help", "-h" -> options.help = true;
                case "--embedded" -> options.embedded = true;
                case "--compare" -> options.compare = true;
                case "--model" -> options.model = Model.parse(value(args, ++i, option));
                case "--p" -> options.p = probability(value(args, ++i, option));
                case "--hidden" -> options.hidden = positiveInt(value(args, ++i, option), option);
                case "--epochs" -> options.epochs = positiveInt(value(args, ++i, option), option);
                case "--batch" -> options.batch = positiveInt(value(args, ++i, option), option);
                case "--lr" -> options.lr = positiveDouble(value(args, ++i, option), option);
                case "--seed" -> options.seed = parseLong(value(args, ++i, option), option);
                case "--threads" -> options.threads = positiveInt(value(args, ++i, option), option);
                case "--data-dir" -> options.dataDir = Path.of(value(args, ++i, option));
                case "--out" -> options.out = Path.of(value(args, ++i, option));
                default -> throw new IllegalArgumentException("unknown option '" + option + "'");
            }
        }
        if (options.dataDir != null && options.embedded) {
            throw new IllegalArgumentException("--data-dir and --embedded exclude each other");
        }
        return options;
    }

    /** The drop probability in effect: {@code --p} or the model's default. */
    double effectiveP() {
        return p != null ? p : model.defaultP();
    }

    /** The options as one line, for the run's header. */
    String summary() {
        return String.format(Locale.ROOT, "model %s, p %s, hidden %d, epochs %d, batch %d, Adam lr %s, seed %d%s",
                model.cliName(), TrainingRun.formatP(effectiveP()), hidden, epochs, batch, lr, seed,
                compare ? ", compared with p=0" : "");
    }

    private static String value(String[] args, int index, String option) {
        if (index >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[index];
    }

    private static double probability(String text) {
        double p = parseDouble(text, "--p");
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("--p must be in [0, 1), got " + text);
        }
        return p;
    }

    private static int positiveInt(String text, String option) {
        long value = parseLong(text, option);
        if (value < 1 || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(option + " must be a positive integer, got " + text);
        }
        return (int) value;
    }

    private static double positiveDouble(String text, String option) {
        double value = parseDouble(text, option);
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(option + " must be a positive number, got " + text);
        }
        return value;
    }

    private static long parseLong(String text, String option) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " expects an integer, got '" + text + "'");
        }
    }

    private static double parseDouble(String text, String option) {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " expects a number, got '" + text + "'");
        }
    }
}
