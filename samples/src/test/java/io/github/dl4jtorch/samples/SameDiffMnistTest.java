package io.github.dl4jtorch.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dl4jtorch.dropout.Dropout;
import io.github.dl4jtorch.dropout.Dropout2d;
import io.github.dl4jtorch.dropout.SameDiffDropout;
import io.github.dl4jtorch.samples.data.InMemoryDataSetIterator;
import io.github.dl4jtorch.samples.data.MnistData;
import java.io.IOException;
import java.util.Map;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.weightinit.impl.XavierInitScheme;
import org.nd4j.weightinit.impl.ZeroInitScheme;

/**
 * A SameDiff MLP with this library's dropout, {@code in (784) -> dense 64 -> relu -> Dropout(0.2) -> dense 10 ->
 * softmax}, trained with {@code sd.fit} on the embedded digits (7,996 training, 2,004 test images).
 */
class SameDiffMnistTest {

    @Test
    void learnsWithDropoutAndIsDeterministicOnlyInEvaluation() throws IOException {
        MnistData data = MnistData.embedded();
        Nd4j.getRandom().setSeed(42);
        SameDiff sd = SameDiff.create();
        SDVariable in = sd.placeHolder("in", DataType.FLOAT, -1, 784);
        SDVariable label = sd.placeHolder("label", DataType.FLOAT, -1, 10);
        SDVariable training = SameDiffDropout.trainingSwitch(sd);
        SDVariable w0 = sd.var("w0", new XavierInitScheme('c', 784, 64), DataType.FLOAT, 784, 64);
        SDVariable b0 = sd.var("b0", new ZeroInitScheme('c'), DataType.FLOAT, 64);
        SDVariable w1 = sd.var("w1", new XavierInitScheme('c', 64, 10), DataType.FLOAT, 64, 10);
        SDVariable b1 = sd.var("b1", new ZeroInitScheme('c'), DataType.FLOAT, 10);
        SDVariable hidden = sd.nn.relu(in.mmul(w0).add(b0), 0);
        SDVariable dropped = SameDiffDropout.apply(sd, "dropped", hidden, new Dropout(0.2), training);
        SDVariable logits = dropped.mmul(w1).add(b1);
        sd.nn.softmax("probabilities", logits, 1);
        sd.loss.softmaxCrossEntropy("loss", label, logits, null);
        sd.setTrainingConfig(new TrainingConfig.Builder().updater(new Adam(1e-3))
                .dataSetFeatureMapping("in").dataSetLabelMapping("label").build());

        SameDiffDropout.setTraining(sd, true);
        // Minibatches of 64 and a last one of 60: the mask's shape follows each.
        sd.fit(new InMemoryDataSetIterator(data.train().dataSet(data.classes()), 64, 1L), 2);
        SameDiffDropout.setTraining(sd, false);

        INDArray testFeatures = data.test().features();
        INDArray evaluation = probabilities(sd, testFeatures);
        double accuracy = accuracy(evaluation, data.test().oneHotLabels(data.classes()));
        // Ten classes: chance is 10%. Two epochs of Adam on 8,000 digits reach about 90%.
        assertTrue(accuracy > 0.8, "test accuracy after two epochs: " + accuracy);
        assertEquals(evaluation, probabilities(sd, testFeatures), "evaluation is deterministic");
        assertArrayEquals(new long[] {7, 10}, probabilities(sd, testFeatures.get(NDArrayIndex.interval(0, 7),
                NDArrayIndex.all())).shape(), "another batch size");

        SameDiffDropout.setTraining(sd, true);
        INDArray first = probabilities(sd, testFeatures);
        assertNotEquals(first, probabilities(sd, testFeatures), "training drops, a new mask at every call");
        assertTrue(accuracy(first, data.test().oneHotLabels(data.classes())) > 0.7,
                "the trained network also classifies with 20% of its hidden units dropped");
    }

    /** A channel-wise variant on digits as images: whole channels of NHWC feature maps are dropped. */
    @Test
    void dropout2dDropsWholeChannelsOfChannelsLastMaps() throws IOException {
        INDArray digits = MnistData.embedded().test().features().get(NDArrayIndex.interval(0, 16), NDArrayIndex.all());
        SameDiff sd = SameDiff.create();
        SDVariable in = sd.placeHolder("in", DataType.FLOAT, -1, 784);
        // (N, 28, 28, 3): three channels per digit, the image times 1, 2 and 3.
        SDVariable maps = sd.concat(3, in.reshape(-1, 28, 28, 1), in.reshape(-1, 28, 28, 1).mul(2),
                in.reshape(-1, 28, 28, 1).mul(3));
        SameDiffDropout.apply(sd, "dropped", maps,
                new Dropout2d.Builder().p(0.5).dataFormat(CNN2DFormat.NHWC).build(), SameDiffDropout.trainingSwitch(sd));
        SameDiffDropout.setTraining(sd, true);
        Map<String, INDArray> out = sd.output(Map.of("in", digits), maps.name(), "dropped");
        INDArray kept = out.get("dropped");
        INDArray original = out.get(maps.name());
        int keptChannels = 0;
        for (int n = 0; n < 16; n++) {
            for (int c = 0; c < 3; c++) {
                INDArray before = original.get(NDArrayIndex.point(n), NDArrayIndex.all(), NDArrayIndex.all(),
                        NDArrayIndex.point(c));
                INDArray after = kept.get(NDArrayIndex.point(n), NDArrayIndex.all(), NDArrayIndex.all(),
                        NDArrayIndex.point(c));
                boolean channelKept = after.equals(before.mul(2));
                assertTrue(channelKept || after.equals(before.mul(0)), "digit " + n + ", channel " + c
                        + " is neither kept whole (x 2) nor dropped whole");
                keptChannels += channelKept ? 1 : 0;
            }
        }
        // 48 channels, each kept with probability 0.5: all or none kept has probability 2^-47.
        assertTrue(keptChannels > 0 && keptChannels < 48, keptChannels + " of 48 channels kept");
    }

    private static INDArray probabilities(SameDiff sd, INDArray features) {
        return sd.output(Map.of("in", features), "probabilities").get("probabilities").dup();
    }

    private static double accuracy(INDArray probabilities, INDArray oneHotLabels) {
        INDArray predicted = probabilities.argMax(1);
        INDArray actual = oneHotLabels.argMax(1);
        return predicted.eq(actual).castTo(DataType.DOUBLE).meanNumber().doubleValue();
    }
}
