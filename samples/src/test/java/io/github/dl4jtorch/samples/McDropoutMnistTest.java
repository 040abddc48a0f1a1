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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The Monte Carlo dropout sample end to end on a small setting, and its image rotation. */
class McDropoutMnistTest {

    @TempDir
    Path out;

    @Test
    void smallRunPrintsHeadlinesAndWritesSaneOutputs() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = McDropoutMnist.run(new String[] {"--epochs", "1", "--samples", "4", "--limit", "300",
                "--out", out.toString()}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String stdout = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, stdout);
        for (String line : List.of("MC dropout (T=4)   softmax (1 pass)", "test, correct", "test, wrong", "rotated 90 deg", "uniform noise",
                "10% least certain rejected")) {
            assertTrue(stdout.contains(line), line + " missing from:\n" + stdout);
        }

        List<String> curve = Files.readAllLines(out.resolve("mc-dropout-rejection.csv"));
        assertEquals("rejected_fraction,accuracy_mc_entropy,accuracy_softmax_confidence", curve.get(0));
        assertEquals(92, curve.size());
        double[] first = numbers(curve.get(1));
        assertEquals(0.0, first[0]);
        assertTrue(first[1] > 0.5 && first[2] > 0.5, "one epoch already learns: " + curve.get(1));
        for (String row : curve.subList(1, curve.size())) {
            double[] v = numbers(row);
            assertTrue(v[1] >= 0 && v[1] <= 1 && v[2] >= 0 && v[2] <= 1, row);
        }

        List<String> examples = Files.readAllLines(out.resolve("mc-dropout-examples.csv"));
        assertEquals(1 + 3 * 300, examples.size());
        for (String row : examples.subList(1, examples.size())) {
            String[] cells = row.split(",", -1);
            double entropy = Double.parseDouble(cells[4]);
            double mutualInformation = Double.parseDouble(cells[5]);
            double confidence = Double.parseDouble(cells[7]);
            assertTrue(entropy >= 0 && entropy <= Math.log(10) + 1e-9, row);
            assertTrue(mutualInformation >= 0 && mutualInformation <= entropy + 1e-9, row);
            assertTrue(confidence >= 0.1 - 1e-6 && confidence <= 1 + 1e-6, row);
        }

        BufferedImage chart = ImageIO.read(out.resolve("mc-dropout.png").toFile());
        assertEquals(AccuracyChart.WIDTH, chart.getWidth());
        assertEquals(AccuracyChart.HEIGHT, chart.getHeight());
    }

    @Test
    void rotationTurnsClockwiseAndFourTurnsAreTheIdentity() {
        // 2 rows x 3 columns: [[1, 2, 3], [4, 5, 6]] turned clockwise is [[4, 1], [5, 2], [6, 3]].
        INDArray image = Nd4j.createFromArray(new float[][] {{1, 2, 3, 4, 5, 6}});
        INDArray turned = McDropoutMnist.rotate90(image, 2, 3);
        assertEquals(Nd4j.createFromArray(new float[][] {{4, 1, 5, 2, 6, 3}}), turned);
        INDArray square = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 16);
        INDArray back = square;
        for (int i = 0; i < 4; i++) {
            back = McDropoutMnist.rotate90(back, 4, 4);
        }
        assertEquals(square, back);
    }

    private static double[] numbers(String row) {
        return java.util.Arrays.stream(row.split(",")).mapToDouble(Double::parseDouble).toArray();
    }
}
