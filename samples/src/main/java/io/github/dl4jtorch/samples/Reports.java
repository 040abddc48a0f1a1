package io.github.dl4jtorch.samples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The text reports of {@link MnistMlp}: progress lines, the final table and {@code metrics.csv}. */
final class Reports {

    /** Column header of {@code metrics.csv}. */
    static final String CSV_HEADER = "model,p,epoch,train_loss,train_acc,test_acc,epoch_seconds";

    private Reports() {
    }

    /** One progress line, e.g. {@code [net p=0.2] epoch  3/20  loss 0.2113  train 95.31%  test 93.36%  ...}. */
    static String progressLine(TrainingRun run, EpochMetrics m, int epochs, double elapsedSeconds, double etaSeconds) {
        int width = Integer.toString(epochs).length();
        return String.format(Locale.ROOT, "[%s] epoch %" + width + "d/%d  loss %.4f  train acc %6.2f%%  "
                        + "test acc %6.2f%%  epoch %s  elapsed %s  ETA %s",
                run.label(), m.epoch(), epochs, m.trainLoss(), 100 * m.trainAcc(), 100 * m.testAcc(),
                duration(m.seconds()), duration(elapsedSeconds), duration(etaSeconds));
    }

    /** The final table: accuracies after the last epoch and the generalisation gap, one row per run. */
    static List<String> finalTable(List<TrainingRun> runs) {
        List<String> lines = new ArrayList<>();
        String format = "%-18s %6s %10s %10s %18s";
        lines.add(String.format(Locale.ROOT, format, "model", "epochs", "train acc", "test acc", "gap (train-test)"));
        for (TrainingRun run : runs) {
            EpochMetrics last = run.last();
            lines.add(String.format(Locale.ROOT, format, run.label(), last.epoch(),
                    percent(last.trainAcc()), percent(last.testAcc()),
                    String.format(Locale.ROOT, "%+.2f pts", 100 * (last.trainAcc() - last.testAcc()))));
        }
        return lines;
    }

    /** Writes one row per run and epoch. Accuracies are fractions in [0, 1]. */
    static void writeCsv(List<TrainingRun> runs, Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add(CSV_HEADER);
        for (TrainingRun run : runs) {
            for (EpochMetrics m : run.epochs()) {
                lines.add(String.format(Locale.ROOT, "%s,%s,%d,%.6f,%.6f,%.6f,%.3f", run.model(),
                        TrainingRun.formatP(run.p()), m.epoch(), m.trainLoss(), m.trainAcc(), m.testAcc(), m.seconds()));
            }
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
    }

    static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
    }

    /** {@code 42s}, {@code 3m05s}. */
    static String duration(double seconds) {
        long whole = Math.round(seconds);
        if (whole < 60) {
            return seconds < 10 ? String.format(Locale.ROOT, "%.1fs", seconds) : whole + "s";
        }
        return String.format(Locale.ROOT, "%dm%02ds", whole / 60, whole % 60);
    }
}
