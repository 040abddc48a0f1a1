package io.github.dl4jtorch.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import io.github.dl4jtorch.samples.data.InMemoryDataSetIterator;
import io.github.dl4jtorch.samples.data.MnistData;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end: the sample as a user runs it, on the embedded data. */
class MnistMlpTest {

    @TempDir
    Path out;

    @Test
    void oneEpochOnEmbeddedDataLearnsAndWritesEverything() throws IOException {
        Result result = run("--epochs", "1", "--embedded", "--compare", "--out", out.toString());
        assertEquals(0, result.status, result.stderr);

        String stdout = result.stdout;
        assertTrue(stdout.contains("Data: embedded MNIST subset"), stdout);
        assertTrue(stdout.contains("[net p=0.2] epoch 1/1"), stdout);
        assertTrue(stdout.contains("[net p=0] epoch 1/1"), stdout);
        assertTrue(stdout.contains("gap (train-test)"), stdout);
        assertTrue(stdout.contains("reloaded: outputs on the 2004 test images identical"), stdout);

        List<String> csv = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals(Reports.CSV_HEADER, csv.get(0));
        assertEquals(3, csv.size(), "header and one row per model and epoch: " + csv);
        String[] dropoutRow = csv.get(1).split(",");
        assertEquals("net", dropoutRow[0]);
        assertEquals("0.2", dropoutRow[1]);
        assertEquals("1", dropoutRow[2]);
        assertEquals("0", csv.get(2).split(",")[1]);
        // Ten classes: chance is 10%. One epoch of Adam on 8,000 digits reaches about 89%.
        double testAcc = Double.parseDouble(dropoutRow[5]);
        assertTrue(testAcc > 0.8, "test accuracy after one epoch: " + testAcc);

        BufferedImage chart = ImageIO.read(out.resolve("accuracy.png").toFile());
        assertEquals(1000, chart.getWidth());
        assertEquals(620, chart.getHeight());

        MultiLayerNetwork reloaded = ModelSerializer.restoreMultiLayerNetwork(out.resolve("net-p0.2.zip").toFile());
        double reloadedAcc = accuracyOnEmbeddedTestSet(reloaded);
        assertEquals(testAcc, reloadedAcc, 1e-6, "the saved model is the trained one");
        assertTrue(Files.isRegularFile(out.resolve("net-p0.zip")));
    }

    @Test
    void dropoutNetLearnsInOneEpoch() throws IOException {
        Result result = run("--model", "dropoutnet", "--epochs", "1", "--embedded", "--out", out.toString());
        assertEquals(0, result.status, result.stderr);
        assertTrue(result.stdout.contains("[dropoutnet p=0.5] epoch 1/1"), result.stdout);
        String[] row = Files.readAllLines(out.resolve("metrics.csv")).get(1).split(",");
        assertTrue(Double.parseDouble(row[5]) > 0.8, "test accuracy after one epoch: " + row[5]);
    }

    @Test
    void badOptionsExplainThemselves() {
        Result unknown = run("--epoch", "3");
        assertEquals(2, unknown.status);
        assertTrue(unknown.stderr.contains("unknown option '--epoch'") && unknown.stderr.contains("--epochs N"),
                unknown.stderr);
        Result badP = run("--p", "1.5");
        assertEquals(2, badP.status);
        assertTrue(badP.stderr.contains("--p must be in [0, 1)"), badP.stderr);
        Result help = run("--help");
        assertEquals(0, help.status);
        assertTrue(help.stdout.contains("--model net|dropoutnet"), help.stdout);
    }

    @Test
    void missingDataDirectoryIsReportedNotSubstituted() {
        Result result = run("--data-dir", out.resolve("nothing-here").toString(), "--out", out.toString());
        assertEquals(1, result.status);
        assertTrue(result.stderr.contains("lacks train-images-idx3-ubyte"), result.stderr);
    }

    private static double accuracyOnEmbeddedTestSet(MultiLayerNetwork network) throws IOException {
        MnistData data = MnistData.embedded();
        return network.evaluate(new InMemoryDataSetIterator(data.test().dataSet(data.classes()), 500)).accuracy();
    }

    private record Result(int status, String stdout, String stderr) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int status = MnistMlp.run(args, new PrintStream(stdout, true, StandardCharsets.UTF_8),
                new PrintStream(stderr, true, StandardCharsets.UTF_8));
        return new Result(status, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
    }
}
