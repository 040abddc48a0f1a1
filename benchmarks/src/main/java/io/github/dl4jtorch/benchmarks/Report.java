package io.github.dl4jtorch.benchmarks;

import com.google.gson.Gson;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prints JMH results ({@code -rf json}) as markdown tables, each time beside its ratio to the copy of the same array
 * in the same run, so that the tables of BENCHMARKS.md come from a command.
 *
 * <p>Args: one or more {@code LABEL=FILE} (or {@code FILE}, labelled by its name): each label is a column group,
 * e.g. {@code jdk17=jmh-jdk17.json jdk25=jmh-jdk25.json torch=torch.json}; files given the same label are merged.
 * A file may come from {@code torch_dropout_bench.py}, which writes JMH's format with the same benchmark names.
 *
 * <p>Rows: one table per benchmark class (DL4J's SpatialDropout in the channel-wise one), a row per
 * {@code (array, layout, method)}; the copy of a row is the {@code copy} result with the same class, array and
 * layout under the same label, or else of any class (the alpha benchmark has no copy of its own: it takes the
 * element-wise one's).
 *
 * <p>Example: {@code java -cp benchmarks/target/benchmarks.jar io.github.dl4jtorch.benchmarks.Report
 * jdk17=jmh-jdk17.json torch=torch.json}
 */
public final class Report {

    /** Tables in this order (others follow, as first met); DL4J's SpatialDropout rows join the channel-wise table. */
    private static final List<String> SECTION_ORDER = List.of("ElementwiseDropoutBenchmark", "ChannelDropoutBenchmark",
            "AlphaDropoutBenchmark", "SmallBatchBenchmark");
    private static final Map<String, String> SHOWN_IN = Map.of("Dl4jSpatialDropoutBenchmark", "ChannelDropoutBenchmark");

    /** Methods in the order rows show them; others follow, alphabetically. */
    private static final List<String> METHOD_ORDER = List.of("copy", "forward", "backward", "inplace", "alphaForward",
            "alphaBackward", "layerForward", "layerBackward");

    /** One element of JMH's JSON result, the fields read here. */
    static final class Result {
        String benchmark;
        String jdkVersion;
        String vmName;
        int forks;
        int warmupIterations;
        String warmupTime;
        int measurementIterations;
        String measurementTime;
        Map<String, String> params = Map.of();
        Metric primaryMetric;
    }

    /** JMH's primary metric: an average time per call, with its 99.9% confidence half-width. */
    static final class Metric {
        double score;
        double scoreError;
        String scoreUnit;
    }

    /** Where a row sits: the benchmark class's simple name, then the array, layout and method. */
    record Row(String section, String array, String layout, String method) {
        Row copy() {
            return new Row(section, array, layout, "copy");
        }
    }

    private Report() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: Report LABEL=RESULT.json [LABEL=RESULT.json ...]   (JMH -rf json, or torch_dropout_bench.py --json)");
            System.exit(2);
        }
        Map<String, List<Result>> byLabel = new LinkedHashMap<>();
        for (String arg : args) {
            int equals = arg.indexOf('=');
            Path file = Path.of(equals < 0 ? arg : arg.substring(equals + 1));
            String label = equals < 0 ? file.getFileName().toString().replaceFirst("\\.json$", "") : arg.substring(0, equals);
            byLabel.computeIfAbsent(label, l -> new ArrayList<>()).addAll(read(file));
        }
        System.out.print(markdown(byLabel));
    }

    static List<Result> read(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Result[] results = new Gson().fromJson(reader, Result[].class);
            return results == null ? List.of() : Arrays.asList(results);
        }
    }

    /** The report: how each label's results were measured, then a table per benchmark class. */
    static String markdown(Map<String, List<Result>> byLabel) {
        StringBuilder text = new StringBuilder();
        Map<Row, Map<String, Metric>> rows = new LinkedHashMap<>();
        for (Map.Entry<String, List<Result>> entry : byLabel.entrySet()) {
            text.append(String.format(Locale.ROOT, "- %s: %s%n", entry.getKey(), settings(entry.getValue())));
            for (Result result : entry.getValue()) {
                rows.computeIfAbsent(row(result), r -> new LinkedHashMap<>()).put(entry.getKey(), result.primaryMetric);
            }
        }
        List<Row> order = sorted(rows.keySet());
        String section = null;
        for (Row row : order) {
            if (!row.section().equals(section)) {
                section = row.section();
                text.append(String.format("%n### %s%n%n| array | layout | benchmark |", section));
                byLabel.keySet().forEach(label -> text.append(' ').append(label).append(" | ratio to copy |"));
                text.append(System.lineSeparator()).append("|---|---|---|")
                        .append("---|---|".repeat(byLabel.size())).append(System.lineSeparator());
            }
            text.append(String.format("| %s | %s | `%s` |", displayArray(row.array()), row.layout(), row.method()));
            for (String label : byLabel.keySet()) {
                Metric metric = rows.get(row).get(label);
                Metric copy = copyOf(row, label, rows);
                text.append(' ').append(metric == null ? "" : time(metric)).append(" | ")
                        .append(metric == null || copy == null ? "" : rounded(millis(metric.score, metric) / millis(copy.score, copy)))
                        .append(" |");
            }
            text.append(System.lineSeparator());
        }
        return text.toString();
    }

    /** The copy a row is compared with: same class, array and layout if measured, else any class's. */
    private static Metric copyOf(Row row, String label, Map<Row, Map<String, Metric>> rows) {
        Map<String, Metric> sameClass = rows.get(row.copy());
        if (sameClass != null && sameClass.containsKey(label)) {
            return sameClass.get(label);
        }
        return rows.entrySet().stream()
                .filter(e -> e.getKey().method().equals("copy") && e.getKey().array().equals(row.array())
                        && e.getKey().layout().equals(row.layout()) && e.getValue().containsKey(label))
                .map(e -> e.getValue().get(label))
                .findFirst().orElse(null);
    }

    private static Row row(Result result) {
        String[] names = result.benchmark.split("\\.");
        String section = names[names.length - 2];
        return new Row(SHOWN_IN.getOrDefault(section, section), result.params.getOrDefault("array", ""),
                result.params.getOrDefault("layout", ""), names[names.length - 1]);
    }

    /** Sections as {@link #SECTION_ORDER}, arrays in the order first met, methods as {@link #METHOD_ORDER}. */
    private static List<Row> sorted(java.util.Collection<Row> rows) {
        List<Row> met = new ArrayList<>(rows);
        List<String> sections = new ArrayList<>(SECTION_ORDER);
        met.stream().map(Row::section).distinct().filter(s -> !sections.contains(s)).forEach(sections::add);
        List<String> arrays = met.stream().map(Row::array).distinct().toList();
        List<String> layouts = met.stream().map(Row::layout).distinct().toList();
        Comparator<Row> byMethod = Comparator.comparingInt((Row r) -> METHOD_ORDER.contains(r.method())
                ? METHOD_ORDER.indexOf(r.method()) : METHOD_ORDER.size()).thenComparing(Row::method);
        met.sort(Comparator.comparingInt((Row r) -> sections.indexOf(r.section()))
                .thenComparingInt(r -> arrays.indexOf(r.array()))
                .thenComparingInt(r -> layouts.indexOf(r.layout()))
                .thenComparing(byMethod));
        return met;
    }

    /** How a label's results were measured, from their first result, e.g. JDK 17.0.15; 1 fork, 2 x 1 s + 5 x 500 ms. */
    private static String settings(List<Result> results) {
        if (results.isEmpty()) {
            return "no results";
        }
        Result first = results.get(0);
        return String.format(Locale.ROOT, "%s %s; %d fork(s), warm-up %d x %s, measured %d x %s", first.vmName,
                first.jdkVersion, first.forks, first.warmupIterations, first.warmupTime, first.measurementIterations,
                first.measurementTime);
    }

    /** {@code float:4096x4096} as {@code float32 4096x4096}. */
    private static String displayArray(String array) {
        String[] parts = array.split(":", 2);
        if (parts.length < 2) {
            return array;
        }
        String type = switch (parts[0]) {
            case "float" -> "float32";
            case "double" -> "float64";
            case "half" -> "float16";
            default -> parts[0];
        };
        return type + " " + parts[1];
    }

    /** A score with its error, in ms, or in µs below 0.1 ms. */
    private static String time(Metric metric) {
        double ms = millis(metric.score, metric);
        double error = millis(metric.scoreError, metric);
        boolean micros = ms < 0.1;
        double scale = micros ? 1000 : 1;
        String unit = micros ? "µs" : "ms";
        return Double.isNaN(error)
                ? rounded(ms * scale) + " " + unit
                : rounded(ms * scale) + " ± " + rounded(error * scale) + " " + unit;
    }

    /** Two or three significant digits without exponents: 0.042, 3.4, 42, 420. */
    private static String rounded(double value) {
        double magnitude = Math.abs(value);
        String format = magnitude >= 10 || magnitude == 0 ? "%.0f" : magnitude >= 1 ? "%.1f" : magnitude >= 0.1 ? "%.2f" : "%.3f";
        return String.format(Locale.ROOT, format, value);
    }

    /** A value of the metric's unit (JMH's {@code s/op}, {@code ms/op}, {@code us/op}, {@code ns/op}) in ms. */
    private static double millis(double value, Metric metric) {
        return value * switch (metric.scoreUnit) {
            case "s/op" -> 1e3;
            case "ms/op" -> 1;
            case "us/op" -> 1e-3;
            case "ns/op" -> 1e-6;
            default -> throw new IllegalArgumentException("unsupported unit " + metric.scoreUnit + ": average time per call expected");
        };
    }
}
