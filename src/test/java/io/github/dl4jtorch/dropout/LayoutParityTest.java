package io.github.dl4jtorch.dropout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Results not written in place (outputs, and input gradients in backward) have the input's stride order, as
 * PyTorch's {@code torch.empty_like} gives: ports of the layout checks of PyTorch's {@code test/nn/test_dropout.py}
 * ({@code _test_dropout} with {@code channels_last}, {@code _test_dropout_discontiguous},
 * {@code _test_dropout_stride_mean_preserve}) for {@link Functional} and the layers, and the layers on such
 * input inside networks, with and without workspaces.
 *
 * <p>A layout is named by its axes from slowest to fastest in memory ({@code [0, 2, 3, 1]}: channels-last NCHW);
 * an array "is laid out" so when it is dense in that order (axes of size 1 excepted, as PyTorch's
 * {@code is_contiguous} excepts them).
 */
class LayoutParityTest {

    /** PyTorch's functional form: {@code (input, p, training, inplace)}. */
    private interface Function {
        INDArray apply(INDArray input, double p, boolean training, boolean inplace);
    }

    /** A variant as a function and as a layer configuration {@code (p, inplace)}; the layer is null where it takes no such input. */
    private record Variant(String name, Function function, java.util.function.BiFunction<Double, Boolean,
            AbstractDropout> layer) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final Variant DROPOUT = new Variant("dropout", Functional::dropout, Dropout::new);
    private static final Variant DROPOUT1D = new Variant("dropout1d", Functional::dropout1d,
            (p, inplace) -> new Dropout1d.Builder().p(p).inplace(inplace).dataFormat(RNNFormat.NCW).build());
    private static final Variant DROPOUT2D = new Variant("dropout2d", Functional::dropout2d,
            (p, inplace) -> new Dropout2d.Builder().p(p).inplace(inplace).dataFormat(CNN2DFormat.NCHW).build());
    private static final Variant DROPOUT3D = new Variant("dropout3d", Functional::dropout3d,
            (p, inplace) -> new Dropout3d.Builder().p(p).inplace(inplace)
                    .dataFormat(Convolution3D.DataFormat.NCDHW).build());

    private static int[] contiguous(int rank) {
        return IntStream.range(0, rank).toArray();
    }

    /** Channels-last: the batch axis slowest, then the spatial axes, the channel axis (1) fastest. */
    private static int[] channelsLast(int rank) {
        return IntStream.concat(IntStream.concat(IntStream.of(0), IntStream.range(2, rank)), IntStream.of(1)).toArray();
    }

    private static int[] inverse(int[] permutation) {
        int[] inverse = new int[permutation.length];
        for (int m = 0; m < permutation.length; m++) {
            inverse[permutation[m]] = m;
        }
        return inverse;
    }

    /** A copy of {@code x} laid out {@code slowestFirst}, as PyTorch's {@code clone(memory_format=...)}. */
    private static INDArray laidOut(INDArray x, int[] slowestFirst) {
        return x.permute(slowestFirst).dup('c').permute(inverse(slowestFirst));
    }

    private static void assertLaidOut(int[] slowestFirst, INDArray a, String what) {
        long[] shape = a.shape();
        long stride = 1;
        for (int m = slowestFirst.length - 1; m >= 0; m--) {
            int axis = slowestFirst[m];
            if (shape[axis] != 1) {
                assertEquals(stride, a.stride(axis), what + ": stride of axis " + axis + " in "
                        + java.util.Arrays.toString(a.stride()) + ", shape " + java.util.Arrays.toString(shape));
                stride *= shape[axis];
            }
        }
    }

    private static Layer layer(AbstractDropout config, boolean allowInPlace) {
        Layer layer = KernelParityTest.instantiate(config);
        layer.allowInputModification(allowInPlace);
        return layer;
    }

    @Test
    void theExampleOfTheIssue() {
        INDArray channelsLast = Nd4j.ones(DataType.FLOAT, 2, 4, 5, 3).permute(0, 3, 1, 2);
        assertArrayEquals(new long[] {60, 1, 15, 3}, Functional.dropout(channelsLast, 0.5, true, false).stride());
    }

    /**
     * PyTorch's {@code _test_dropout}: input filled with 1 - p, laid out contiguous or channels-last; the output
     * and the input gradient (for an output gradient of the contiguous input) keep the layout and have a mean
     * within 0.05 of 1 - p, in place or not; evaluation is the identity. Each mean is that of at least 3000
     * independent Bernoulli(0.8) draws (PyTorch: 1000 to 5000 at random), so it strays by 0.05 (6.8 standard
     * deviations) with probability below 1e-11.
     */
    @Test
    void keepsContiguousAndChannelsLastLayouts() {
        record Case(Variant variant, DataType type, long... shape) {
        }
        List<Case> cases = List.of(
                new Case(DROPOUT, DataType.FLOAT, 10_000),
                new Case(DROPOUT, DataType.BFLOAT16, 10_000),
                new Case(DROPOUT1D, DataType.DOUBLE, 1000, 3, 7),
                new Case(DROPOUT2D, DataType.FLOAT, 1000, 3, 4, 5),
                new Case(DROPOUT3D, DataType.FLOAT, 1000, 3, 2, 4, 5));
        double p = 0.2;
        Nd4j.getRandom().setSeed(2024);
        for (Case c : cases) {
            int rank = c.shape().length;
            List<int[]> layouts = rank >= 4 ? List.of(contiguous(rank), channelsLast(rank)) : List.of(contiguous(rank));
            INDArray input = Nd4j.createUninitialized(c.type(), c.shape()).assign(1 - p);
            for (int[] layout : layouts) {
                String name = c.variant() + " " + c.type() + " " + java.util.Arrays.toString(layout);
                for (boolean inplace : new boolean[] {false, true}) {
                    INDArray x = laidOut(input, layout);
                    INDArray output = c.variant().function().apply(x, p, true, inplace);
                    assertLaidOut(layout, output, name + " output, inplace " + inplace);
                    assertMean(1 - p, output, name + " output, inplace " + inplace);

                    Layer layer = layer(c.variant().layer().apply(p, inplace), inplace);
                    INDArray xForLayer = laidOut(input, layout);
                    layer.setInput(xForLayer, LayerWorkspaceMgr.noWorkspaces());
                    INDArray activation = layer.activate(true, LayerWorkspaceMgr.noWorkspaces());
                    assertLaidOut(layout, activation, name + " layer output, inplace " + inplace);
                    assertMean(1 - p, activation, name + " layer output, inplace " + inplace);
                    INDArray gradient = layer.backpropGradient(input.dup(), LayerWorkspaceMgr.noWorkspaces())
                            .getSecond();
                    assertLaidOut(layout, gradient, name + " layer input gradient, inplace " + inplace);
                    assertMean(1 - p, gradient, name + " layer input gradient, inplace " + inplace);

                    INDArray evaluated = laidOut(input, layout);
                    assertSame(evaluated, c.variant().function().apply(evaluated, p, false, inplace));
                    layer.setInput(evaluated, LayerWorkspaceMgr.noWorkspaces());
                    assertEquals(input, layer.activate(false, LayerWorkspaceMgr.noWorkspaces()), name + " eval");
                }
            }
        }
    }

    private static void assertMean(double expected, INDArray a, String what) {
        double mean = a.castTo(DataType.DOUBLE).meanNumber().doubleValue();
        assertTrue(Math.abs(mean - expected) < 0.05, what + ": mean " + mean);
    }

    /**
     * PyTorch's {@code _test_dropout_discontiguous}: ones in every other element of the last axis of an array
     * laid out contiguous or channels-last; at p = 0 and p = 1e-10 (every element kept: the keep threshold rounds
     * to 2^32, the float scale to 1) the values are kept, and at 1e-10 the result is dense in the input's layout.
     */
    @Test
    void discontiguousInputGivesADenseOutputInItsLayout() {
        for (Variant variant : List.of(DROPOUT, DROPOUT2D, DROPOUT3D)) {
            for (int[] layout : List.of(contiguous(4), channelsLast(4))) {
                for (double p : new double[] {0, 1e-10}) {
                    String name = variant + " " + java.util.Arrays.toString(layout) + " p " + p;
                    INDArray ones = Nd4j.ones(DataType.FLOAT, 2, 3, 3, 3);
                    List<INDArray> outputs = new ArrayList<>();
                    outputs.add(variant.function().apply(everyOther(layout).assign(ones), p, true, false));
                    if (variant != DROPOUT3D) { // the layer takes only batched (5-D) input
                        Layer layer = layer(variant.layer().apply(p, false), false);
                        layer.setInput(everyOther(layout).assign(ones), LayerWorkspaceMgr.noWorkspaces());
                        outputs.add(layer.activate(true, LayerWorkspaceMgr.noWorkspaces()));
                    }
                    for (INDArray output : outputs) {
                        assertEquals(ones, output, name);
                        if (p != 0) {
                            assertLaidOut(layout, output, name);
                        }
                    }
                }
            }
        }
    }

    /** {@code torch.empty(2, 3, 3, 6, memory_format)[..., ::2]}. */
    private static INDArray everyOther(int[] layout) {
        return laidOut(Nd4j.zeros(DataType.FLOAT, 2, 3, 3, 6), layout)
                .get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 6));
    }

    /**
     * PyTorch's {@code _test_dropout_stride_mean_preserve}: ones laid out in each of the 24 axis orders, sliced
     * to drop a leading index of axis 0 and/or 1; the output is dense in that order, its mean within PyTorch's
     * tolerance (0.5 + 0.5 * 1) of 1, equal to the input at p = 1e-10 and different at 0.3, 0.5, 0.7. On ones of
     * (4, 5, 6, 7) rather than PyTorch's (2, 3, 4, 5), so that the mean strays (at p = 0.7, more than 60% of at
     * least 504 elements kept) with probability below 1e-30 rather than 5e-4.
     */
    @Test
    void everyAxisOrderAndSliceKeepsItsLayoutAndMean() {
        INDArray ones = Nd4j.ones(DataType.FLOAT, 4, 5, 6, 7);
        Nd4j.getRandom().setSeed(7);
        List<int[]> orders = permutations(4);
        assertEquals(24, orders.size());
        for (int[] order : orders) {
            for (int[] shift : new int[][] {{0, 0}, {1, 0}, {0, 1}, {1, 1}}) {
                INDArrayIndex[] slice = {NDArrayIndex.interval(shift[0], 4), NDArrayIndex.interval(shift[1], 5),
                        NDArrayIndex.all(), NDArrayIndex.all()};
                for (double p : new double[] {1e-10, 0.3, 0.5, 0.7}) {
                    String name = java.util.Arrays.toString(order) + " shift " + java.util.Arrays.toString(shift)
                            + " p " + p;
                    INDArray x = laidOut(ones, order).get(slice);
                    Layer layer = layer(new Dropout(p), false);
                    layer.setInput(laidOut(ones, order).get(slice), LayerWorkspaceMgr.noWorkspaces());
                    for (INDArray output : List.of(Functional.dropout(x, p, true, false),
                            layer.activate(true, LayerWorkspaceMgr.noWorkspaces()))) {
                        assertLaidOut(order, output, name);
                        assertTrue(Math.abs(output.meanNumber().doubleValue() - 1) <= 1, name + ": mean");
                        if (p == 1e-10) {
                            assertEquals(x, output, name);
                        } else {
                            assertNotEquals(x, output, name);
                        }
                    }
                }
            }
        }
    }

    private static List<int[]> permutations(int n) {
        if (n == 0) {
            return List.of(new int[0]);
        }
        return permutations(n - 1).stream().flatMap(shorter -> IntStream.rangeClosed(0, shorter.length).mapToObj(at -> {
            int[] longer = new int[n];
            System.arraycopy(shorter, 0, longer, 0, at);
            longer[at] = n - 1;
            System.arraycopy(shorter, at, longer, at + 1, shorter.length - at);
            return longer;
        })).toList();
    }

    /**
     * In a network, on channels-last features: two dropout layers (the second reading the first's output) keep
     * the layout, and DL4J's checks of where activations and their gradients live pass, with workspaces and
     * without, in training, gradient computation and inference.
     */
    @ParameterizedTest
    @EnumSource(value = WorkspaceMode.class, names = {"ENABLED", "NONE"})
    void layersKeepTheLayoutInNetworks(WorkspaceMode mode) {
        int[] layout = channelsLast(4);
        MultiLayerNetwork net = IntegrationNets.mln(IntegrationNets.base(42, DataType.FLOAT, new Adam(0.01), mode)
                .list()
                .layer(new Dropout2d(0.5))
                .layer(new Dropout(0.3))
                .layer(new ConvolutionLayer.Builder(1, 1).nOut(4).activation(Activation.TANH).build())
                .layer(new GlobalPoolingLayer(PoolingType.AVG))
                .layer(new OutputLayer.Builder(LossFunction.MSE).nOut(2).activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(5, 6, 3))
                .build());
        List<long[]> strides = new ArrayList<>();
        net.setListeners(new BaseTrainingListener() {
            @Override
            public void onForwardPass(Model model, List<INDArray> activations) {
                strides.add(activations.get(1).stride());
                strides.add(activations.get(2).stride());
            }
        });
        INDArray x = laidOut(IntegrationNets.randn(1, DataType.FLOAT, 4, 3, 5, 6), layout);
        INDArray y = IntegrationNets.randn(2, DataType.FLOAT, 4, 2);
        INDArray before = x.dup();
        net.fit(new DataSet(x, y));
        net.setInput(x);
        net.setLabels(y);
        net.computeGradientAndScore();
        assertTrue(Double.isFinite(net.score()));
        assertEquals(net.output(x, false), net.output(x));
        assertArrayEquals(new long[] {4, 2}, net.output(x, true).shape());
        assertEquals(before, x, "the features changed");
        assertEquals(4, strides.size(), "two forward passes in training seen by the listener");
        long[] channelsLastStrides = {90, 1, 18, 3};
        for (long[] s : strides) {
            assertArrayEquals(channelsLastStrides, s, mode + ": a dropout layer's activation");
        }
    }
}
