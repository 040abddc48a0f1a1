package io.github.dl4jtorch.dropout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dl4jtorch.dropout.KerasModels.Fixture;
import java.util.List;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.dropout.GaussianDropout;
import org.deeplearning4j.nn.conf.dropout.GaussianNoise;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Models imported from Keras (.h5 files written in Keras's own layout, see src/test/keras) convert to networks with
 * identical evaluation outputs, whose SpatialDropout2D after a channels_last convolution drops whole channels, where
 * the import itself drops rows of H ({@code KerasImportDefectsTest}).
 */
class KerasConversionTest {

    private static final int MINIBATCH = 8;
    private static final int PASSES = 20;

    @Test
    void sequentialConvModelConvertsWithIdenticalOutputsAndChannelMasks() {
        MultiLayerNetwork imported = KerasModels.sequential(Fixture.CONV_SEQUENTIAL);
        MultiLayerNetwork torch = DropoutConverter.toTorch(imported);
        Dropout2d dropout = assertInstanceOf(Dropout2d.class, torch.getLayer(1).conf().getLayer());
        assertEquals(CNN2DFormat.NHWC, dropout.getDataFormat());
        assertEquals(0.5, dropout.getP());
        assertEquals("spatial_dropout2d", dropout.getLayerName());
        INDArray x = Fixture.CONV_SEQUENTIAL.input(MINIBATCH, 1);
        assertEquals(imported.output(x), torch.output(x));
        Nd4j.getRandom().setSeed(7);
        for (int pass = 0; pass < PASSES; pass++) {
            List<INDArray> activations = torch.feedForward(x, true);
            assertWholeChannelsDropped(activations.get(1), activations.get(2));
        }
    }

    @Test
    void functionalConvModelConvertsWithIdenticalOutputsAndChannelMasks() {
        ComputationGraph imported = KerasModels.functional(Fixture.CONV_FUNCTIONAL);
        ComputationGraph torch = DropoutConverter.toTorch(imported);
        Dropout2d dropout = assertInstanceOf(Dropout2d.class, torch.getLayer("spatial_dropout2d").conf().getLayer());
        assertEquals(CNN2DFormat.NHWC, dropout.getDataFormat());
        INDArray x = Fixture.CONV_FUNCTIONAL.input(MINIBATCH, 2);
        assertEquals(imported.outputSingle(x), torch.outputSingle(x));
        Nd4j.getRandom().setSeed(8);
        for (int pass = 0; pass < PASSES; pass++) {
            var activations = torch.feedForward(new INDArray[] {x}, true, false);
            assertWholeChannelsDropped(activations.get("conv2d"), activations.get("spatial_dropout2d"));
        }
    }

    /**
     * Every (example, channel) plane of {@code y} (NHWC) is either 0 or exactly 2x the convolution's output, and both
     * happen across the 32 planes of a pass (all alike has probability 2^-31 per pass at p = 0.5; over 20 passes the
     * false-failure rate is below 1e-8).
     */
    private static void assertWholeChannelsDropped(INDArray conv, INDArray y) {
        int kept = 0;
        int dropped = 0;
        for (int n = 0; n < conv.size(0); n++) {
            for (int c = 0; c < conv.size(3); c++) {
                boolean planeKept = false;
                boolean planeDropped = false;
                for (int h = 0; h < conv.size(1); h++) {
                    for (int w = 0; w < conv.size(2); w++) {
                        float in = conv.getFloat(n, h, w, c);
                        float out = y.getFloat(n, h, w, c);
                        if (in != 0) {
                            planeKept |= out == 2 * in;
                            planeDropped |= out == 0;
                            assertTrue(out == 0 || out == 2 * in, "value " + out + " from " + in);
                        }
                    }
                }
                assertTrue(!(planeKept && planeDropped), "plane (" + n + ", " + c + ") partly dropped");
                kept += planeKept ? 1 : 0;
                dropped += planeDropped ? 1 : 0;
            }
        }
        assertTrue(kept > 0 && dropped > 0, kept + " planes kept, " + dropped + " dropped");
    }

    /** The MLP's AlphaDropout(0.2) converts (DL4J imports it as retain 0.8); Gaussian dropout and noise are kept. */
    @Test
    void mlpModelsConvertTheirDropoutAndKeepGaussianNoise() {
        MultiLayerNetwork alpha = DropoutConverter.toTorch(KerasModels.sequential(Fixture.MLP_DROPOUT_ALPHA));
        assertEquals(0.2, assertInstanceOf(AlphaDropout.class, alpha.getLayer(3).conf().getLayer()).getP(), 1e-15);
        // DL4J's import lost Keras's Dropout(0.3) (retain 1.0): converted faithfully, p = 0.
        assertEquals(0.0, assertInstanceOf(Dropout.class, alpha.getLayer(1).conf().getLayer()).getP());
        MultiLayerNetwork imported = KerasModels.sequential(Fixture.MLP_GAUSSIAN);
        MultiLayerNetwork gaussian = DropoutConverter.toTorch(imported);
        assertInstanceOf(GaussianDropout.class, ((DropoutLayer) gaussian.getLayer(1).conf().getLayer()).getIDropout());
        assertInstanceOf(GaussianNoise.class, ((DropoutLayer) gaussian.getLayer(3).conf().getLayer()).getIDropout());
        INDArray x = Fixture.MLP_GAUSSIAN.input(MINIBATCH, 3);
        assertEquals(imported.output(x), gaussian.output(x));
    }
}
