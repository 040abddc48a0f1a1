package io.github.dl4jtorch.samples.data;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One split of an MNIST-style data set: grey-level images with one class label each, as read from
 * a pair of IDX files.
 */
public final class LabeledImages {

    private final IdxArray images;
    private final IdxArray labels;

    private LabeledImages(IdxArray images, IdxArray labels) {
        this.images = images;
        this.labels = labels;
    }

    /**
     * Pairs an images file with its labels file.
     *
     * @param images 3-dimensional IDX content: count x rows x columns
     * @param labels 1-dimensional IDX content: count
     * @return the split
     * @throws IdxFormatException if the two files disagree on the number of records, or hold none
     */
    public static LabeledImages of(IdxArray images, IdxArray labels) throws IdxFormatException {
        if (images.count() != labels.count()) {
            throw new IdxFormatException(images.source(), "holds " + images.count() + " images but "
                    + labels.source() + " holds " + labels.count() + " labels: they must be equal");
        }
        if (images.count() == 0 || images.dimension(1) == 0 || images.dimension(2) == 0) {
            throw new IdxFormatException(images.source(), "holds no image data (" + images + ")");
        }
        return new LabeledImages(images, labels);
    }

    /** Number of images. */
    public int count() {
        return images.count();
    }

    /** Image height in pixels. */
    public int rows() {
        return images.dimension(1);
    }

    /** Image width in pixels. */
    public int columns() {
        return images.dimension(2);
    }

    /** Pixels per image: the input size of a fully connected network. */
    public int pixelsPerImage() {
        return rows() * columns();
    }

    /** Class label of image {@code index}. */
    public int label(int index) {
        return labels.unsigned(index);
    }

    /** Largest label in this split. */
    public int maxLabel() {
        int max = 0;
        for (int i = 0; i < count(); i++) {
            max = Math.max(max, label(i));
        }
        return max;
    }

    /** Where the images came from, for messages. */
    public String imagesSource() {
        return images.source();
    }

    /**
     * All images flattened row-major into a {@code [count, rows * columns]} float matrix, each grey
     * level divided by 255 so pixels lie in [0, 1], as torchvision's {@code ToTensor} scales them.
     */
    public INDArray features() {
        float[] scaled = new float[count() * pixelsPerImage()];
        for (int i = 0; i < scaled.length; i++) {
            scaled[i] = images.unsigned(i) / 255f;
        }
        return Nd4j.create(scaled, new long[] {count(), pixelsPerImage()}, 'c');
    }

    /** All labels one-hot encoded into a {@code [count, classes]} float matrix. */
    public INDArray oneHotLabels(int classes) {
        INDArray oneHot = Nd4j.zeros(DataType.FLOAT, count(), classes);
        for (int i = 0; i < count(); i++) {
            oneHot.putScalar(i, label(i), 1f);
        }
        return oneHot;
    }

    /**
     * The split as a Deeplearning4j {@link DataSet}: {@link #features()} and
     * {@link #oneHotLabels(int)}. {@link InMemoryDataSetIterator} serves it in minibatches.
     */
    public DataSet dataSet(int classes) {
        return new DataSet(features(), oneHotLabels(classes));
    }
}
