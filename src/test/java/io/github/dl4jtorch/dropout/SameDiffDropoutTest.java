package io.github.dl4jtorch.dropout;

import static io.github.dl4jtorch.dropout.DropoutChecks.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dl4jtorch.dropout.DropoutOracle.Lane;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.validation.OpValidation;
import org.nd4j.autodiff.validation.TestCase;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.custom.DistributionUniform;
import org.nd4j.linalg.api.ops.random.custom.RandomBernoulli;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

/**
 * {@link SameDiffDropout}: PyTorch's values bit for bit in training (every element kept or dropped by the oracle's
 * rounding, elements of one mask lane agreeing, so channel masks cover whole channels), the input itself in
 * evaluation, the gradient {@code dy * factor} on the same lanes, SameDiff's gradient check, run-time shapes, and
 * training through {@code sd.fit}. Masks are drawn at p = 0.3 on at least 60 lanes with fixed seeds; a fresh seed would
 * make a mask all kept with probability 0.7^60 = 5e-10 per case.
 */
@ExtendWith(DoublePrecision.class) // SameDiff's gradient check requires double as ND4J's default type
class SameDiffDropoutTest {

    private static final String X = "x";
    private static final String Y = "y";
    private static final String TRAINING = "training";
    private static final double P = 0.3;
    private static final List<DataType> TYPES = List.of(DataType.DOUBLE, DataType.FLOAT, DataType.HALF,
            DataType.BFLOAT16);

    /** A configuration, an input shape it takes and the mask shape it must give there (10 examples, 6 channels). */
    record Case(AbstractDropout variant, long[] shape, long[] maskShape) {
        @Override
        public String toString() {
            return variant + " on " + Arrays.toString(shape);
        }
    }

    static List<Case> cases() {
        return List.of(
                new Case(new Dropout(P), new long[] {10, 6, 5}, new long[] {10, 6, 5}),
                new Case(new Dropout.Builder().p(P).sharedAxes(2).build(), new long[] {10, 6, 5}, new long[] {10, 6, 1}),
                new Case(new Dropout1d.Builder().p(P).dataFormat(RNNFormat.NCW).build(), new long[] {10, 6, 5},
                        new long[] {10, 6, 1}),
                new Case(new Dropout1d.Builder().p(P).dataFormat(RNNFormat.NWC).build(), new long[] {10, 5, 6},
                        new long[] {10, 1, 6}),
                new Case(new Dropout2d(P), new long[] {10, 6, 3, 2}, new long[] {10, 6, 1, 1}),
                new Case(new Dropout2d.Builder().p(P).dataFormat(CNN2DFormat.NHWC).build(), new long[] {10, 3, 2, 6},
                        new long[] {10, 1, 1, 6}),
                new Case(new Dropout3d.Builder().p(P).dataFormat(Convolution3D.DataFormat.NCDHW).build(),
                        new long[] {10, 6, 2, 2, 2}, new long[] {10, 6, 1, 1, 1}),
                new Case(new Dropout3d.Builder().p(P).dataFormat(Convolution3D.DataFormat.NDHWC).build(),
                        new long[] {10, 2, 2, 2, 6}, new long[] {10, 1, 1, 1, 6}),
                new Case(new AlphaDropout(P), new long[] {10, 6, 5}, new long[] {10, 6, 5}),
                new Case(new FeatureAlphaDropout(P), new long[] {10, 6, 3, 2}, new long[] {10, 6, 1, 1}),
                new Case(new FeatureAlphaDropout.Builder().p(P).dataFormat(CNN2DFormat.NHWC).build(),
                        new long[] {10, 3, 2, 6}, new long[] {10, 1, 1, 6}),
                new Case(new FeatureAlphaDropout(P), new long[] {10, 6}, new long[] {10, 6}));
    }

    /** Every case in every floating type, its input a placeholder or (shape unknown to SameDiff) an op's output. */
    static Stream<Arguments> casesByTypeAndInput() {
        return cases().stream().flatMap(c -> TYPES.stream().flatMap(type -> Stream.of(false, true)
                .filter(throughOp -> !throughOp || !(c.variant instanceof Dropout d && d.getSharedAxes() != null))
                .map(throughOp -> Arguments.of(c, type, throughOp))));
    }

    @ParameterizedTest(name = "{0}, {1}, through an op: {2}")
    @MethodSource("casesByTypeAndInput")
    void trainingGivesPyTorchsValuesOnTheVariantsMaskShape(Case c, DataType type, boolean throughOp) {
        SameDiff sd = graph(c.variant, type, c.shape.length, throughOp);
        Nd4j.getRandom().setSeed(42);
        INDArray x = Nd4j.randn(DataType.DOUBLE, c.shape).castTo(type);
        INDArray y = run(sd, x, true);

        Lane[] lanes = DropoutOracle.lanes(DropoutChecks.rowMajorDouble(x), DropoutChecks.rowMajorDouble(y), c.shape,
                c.maskShape, null, rule(c, type).forward());
        assertMixed(lanes, c.toString());
        assertSameBits(x, run(sd, x, false), c + " in evaluation");
    }

    @Test
    void evaluationReturnsTheInputBitForBitAndMonteCarloDropsAnyway() {
        INDArray x = DropoutChecks.cycling(new float[] {1.5f, -0.0f, Float.NaN, Float.NEGATIVE_INFINITY, 2.25f, -3f},
                10, 6, 5);
        for (AbstractDropout variant : List.of(new Dropout(P), new AlphaDropout(P), new FeatureAlphaDropout(P),
                new AlphaDropout(1))) {
            assertSameBits(x, run(graph(variant, DataType.FLOAT, 3, true), x, false), variant.toString());
        }
        SameDiff monteCarlo = graph(new AlphaDropout.Builder().p(P).monteCarlo(true).build(), DataType.FLOAT, 3, false);
        INDArray positive = DropoutChecks.positive(10, 6, 5);
        assertMixed(DropoutOracle.lanes(DropoutChecks.rowMajorDouble(positive),
                DropoutChecks.rowMajorDouble(run(monteCarlo, positive, false)), positive.shape(), positive.shape(), null,
                new DropoutOracle.Rule(DataType.FLOAT, P, true).forward()), "Monte Carlo in evaluation");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientIsTheUpstreamGradientTimesTheForwardPassesFactor(Case c) {
        for (DataType type : List.of(DataType.DOUBLE, DataType.FLOAT)) {
            SameDiff sd = SameDiff.create();
            Nd4j.getRandom().setSeed(7);
            SDVariable x = sd.var(X, Nd4j.randn(DataType.DOUBLE, c.shape).castTo(type));
            INDArray upstream = Nd4j.randn(DataType.DOUBLE, c.shape).castTo(type);
            SDVariable y = SameDiffDropout.apply(sd, Y, x, c.variant, sd.placeHolder(TRAINING, DataType.BOOL));
            sd.setLossVariables(y.mul(sd.constant(upstream)).sum());

            OutAndGrad result = sd.calculateGradientsAndOutputs(Map.of(TRAINING, Nd4j.scalar(true)), List.of(Y),
                    List.of(X));
            DropoutOracle.Rule rule = rule(c, type);
            Lane[] forward = DropoutOracle.lanes(DropoutChecks.rowMajorDouble(x.getArr()),
                    DropoutChecks.rowMajorDouble(result.getOutputs().get(Y)), c.shape, c.maskShape, null, rule.forward());
            assertMixed(forward, c + " in " + type);
            DropoutOracle.lanes(DropoutChecks.rowMajorDouble(upstream),
                    DropoutChecks.rowMajorDouble(result.getGradients().get(X)), c.shape, c.maskShape, forward,
                    rule.backward());
        }
    }

    /** Each case on a smaller input (2 examples, 3 channels, other axes at most 2): the check perturbs every element. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sameDiffsGradientCheckPasses(Case c) {
        long[] shape = Arrays.stream(c.shape).map(d -> d == 10 ? 2 : d == 6 ? 3 : Math.min(d, 2)).toArray();
        SameDiff sd = SameDiff.create();
        Nd4j.getRandom().setSeed(11);
        SDVariable x = sd.var(X, Nd4j.randn(DataType.DOUBLE, shape));
        SDVariable y = SameDiffDropout.apply(sd, Y, x, c.variant, sd.placeHolder(TRAINING, DataType.BOOL));
        sd.setLossVariables(y.mul(sd.constant(Nd4j.randn(DataType.DOUBLE, shape))).sum());
        // Every forward pass of the check (one per perturbed input element) must draw the same mask.
        sd.setListeners(new BaseListener() {
            @Override
            public boolean isActive(Operation operation) {
                return true;
            }

            @Override
            public void operationStart(SameDiff sameDiff, Operation operation) {
                Nd4j.getRandom().setSeed(12345);
            }
        });
        long[] maskShape = Arrays.stream(c.maskShape).map(d -> d == 10 ? 2 : d == 6 ? 3 : Math.min(d, 2)).toArray();
        // Not the serialisation check: its copy of the graph draws its own mask (savedAndLoaded... covers loading).
        TestCase test = new TestCase(sd).testName(c.toString()).gradientCheck(true)
                .testFlatBufferSerialization(TestCase.TestSerialization.NONE)
                .placeholderValues(Map.of(TRAINING, Nd4j.scalar(true)))
                .gradCheckSkipVariables(sd.variables().stream().map(SDVariable::name).filter(n -> !n.equals(X))
                        .toArray(String[]::new))
                .expected(Y, out -> {
                    // The forward pass the check repeats: PyTorch's values, and a mask that keeps and drops.
                    Lane[] lanes = DropoutOracle.lanes(DropoutChecks.rowMajorDouble(x.getArr()),
                            DropoutChecks.rowMajorDouble(out), shape, maskShape, null, rule(c, DataType.DOUBLE).forward());
                    assertMixed(lanes, c.toString());
                    return null;
                });
        assertNull(OpValidation.validate(test));
    }

    @Test
    void batchSizeMayChangeFromCallToCall() {
        for (Case c : List.of(cases().get(0), cases().get(5), cases().get(10))) {
            SameDiff sd = graph(c.variant, DataType.FLOAT, c.shape.length, true);
            for (long batch : new long[] {10, 3, 17, 1}) {
                long[] shape = c.shape.clone();
                shape[0] = batch;
                long[] maskShape = c.maskShape.clone();
                maskShape[0] = batch;
                INDArray x = DropoutChecks.positive(shape);
                INDArray y = run(sd, x, true);
                assertArrayEquals(shape, y.shape(), c + ", batch " + batch);
                DropoutOracle.lanes(DropoutChecks.rowMajorDouble(x), DropoutChecks.rowMajorDouble(y), shape, maskShape,
                        null, rule(c, DataType.FLOAT).forward());
            }
        }
    }

    @Test
    void masksFollowNd4jsSeedAndDifferFromCallToCall() {
        SameDiff sd = graph(new Dropout2d.Builder().p(P).dataFormat(CNN2DFormat.NHWC).build(), DataType.FLOAT, 4, true);
        INDArray x = DropoutChecks.positive(10, 3, 2, 6);
        Nd4j.getRandom().setSeed(5);
        INDArray first = run(sd, x, true).dup();
        INDArray second = run(sd, x, true).dup();
        Nd4j.getRandom().setSeed(5);
        assertEquals(first, run(sd, x, true), "same seed, same mask");
        assertNotEquals(first, second, "consecutive training calls draw new masks (false failure 0.58^60 = 6e-15)");
        assertEquals(run(sd, x, false), run(sd, x, false));
    }

    /** Why the masks come from ND4J's legacy dropout op: the custom random ops ignore ND4J's generator in a graph. */
    @Test
    void dl4jDefect_customRandomOpsInAGraphDrawTheSameValuesAtEveryCall() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder(X, DataType.FLOAT, -1, 100);
        new RandomBernoulli(sd, x.shape(), 0.5).outputVariable().rename("bernoulli");
        new DistributionUniform(sd, x.shape(), 0, 1, DataType.FLOAT).outputVariable().rename("uniform");
        Map<String, INDArray> placeholders = Map.of(X, Nd4j.ones(DataType.FLOAT, 2, 100));
        Nd4j.getRandom().setSeed(1);
        Map<String, INDArray> first = sd.output(placeholders, "bernoulli", "uniform");
        INDArray bernoulli = first.get("bernoulli").dup();
        INDArray uniform = first.get("uniform").dup();
        Nd4j.getRandom().setSeed(2);
        Map<String, INDArray> second = sd.output(placeholders, "bernoulli", "uniform");
        assertEquals(bernoulli, second.get("bernoulli"), "another seed, another call: the same 200 draws");
        assertEquals(uniform, second.get("uniform"));
    }

    @Test
    void dropsAFractionPOfTheLanes() {
        SameDiff sd = graph(new Dropout(P), DataType.FLOAT, 2, true);
        Nd4j.getRandom().setSeed(3);
        INDArray y = run(sd, Nd4j.ones(DataType.FLOAT, 1000, 200), true);
        double dropped = y.eq(0).castTo(DataType.DOUBLE).meanNumber().doubleValue();
        // 200,000 Bernoulli(0.3) lanes: sd 0.001; 0.006 is 6 sd (false failure 2e-9).
        assertEquals(P, dropped, 0.006);
    }

    @Test
    void probabilitiesZeroAndOneAreThoseOfPyTorch() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder(X, DataType.FLOAT, -1, 3);
        SDVariable training = SameDiffDropout.trainingSwitch(sd);
        assertSame(x, SameDiffDropout.apply(sd, x, new Dropout(0), training), "p = 0: the input itself");
        SameDiffDropout.apply(sd, "zero", x, new Dropout(0), training);
        SameDiffDropout.apply(sd, "one", x, new Dropout(1), training);
        SameDiffDropout.apply(sd, "alphaOne", x, new AlphaDropout(1), training);
        INDArray in = Nd4j.createFromArray(new float[][] {{-2f, Float.NaN, 3f}, {-0.0f, 0.5f, Float.POSITIVE_INFINITY}});

        SameDiffDropout.setTraining(sd, true);
        Map<String, INDArray> out = sd.output(Map.of(X, in), "zero", "one", "alphaOne");
        assertSameBits(in, out.get("zero"), "p = 0");
        assertSameBits(in.mul(0), out.get("one"), "p = 1: x * 0");
        assertSameBits(in.mul(0), out.get("alphaOne"), "alpha, p = 1: x * 0");
        SameDiffDropout.setTraining(sd, false);
        out = sd.output(Map.of(X, in), "one", "alphaOne");
        assertSameBits(in, out.get("one"), "p = 1 in evaluation");
        assertSameBits(in, out.get("alphaOne"), "alpha, p = 1 in evaluation");
    }

    @Test
    void badArgumentsAreNamed() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder(X, DataType.FLOAT, -1, 6, 5);
        SDVariable training = SameDiffDropout.trainingSwitch(sd);
        DropoutChecks.assertFailsWith(DropoutChecks.rangeMessage("1.5"), () -> new Dropout(1.5));
        assertMessage("Dropout(p=StepSchedule(", () -> SameDiffDropout.apply(sd, x,
                new Dropout.Builder().pSchedule(new StepSchedule(ScheduleType.EPOCH, 0.5, 0.5, 10)).build(), training));
        assertMessage("must be a BOOL scalar", () -> SameDiffDropout.apply(sd, x, new Dropout(P), sd.constant(1.0)));
        assertMessage("takes floating-point input", () -> SameDiffDropout.apply(sd,
                sd.placeHolder("ints", DataType.INT, -1, 3), new Dropout(P), training));
        assertMessage("Dropout2d takes convolutional input", () -> SameDiffDropout.apply(sd, x, new Dropout2d(P),
                training));
        assertMessage("needs the rank of its input", () -> SameDiffDropout.apply(sd, x.mul(2),
                new Dropout.Builder().p(P).sharedAxes(2).build(), training));
        SameDiff clash = SameDiff.create();
        clash.constant(SameDiffDropout.TRAINING_SWITCH, 1.0);
        assertThrows(IllegalStateException.class, () -> SameDiffDropout.trainingSwitch(clash));
    }

    /**
     * {@code sd.fit} follows the graph's switch: with p = 1 in training nothing reaches the loss, so the weight in
     * front of the dropout gets a zero gradient and does not move; in evaluation it moves.
     */
    @Test
    void fitFollowsTheTrainingSwitch() {
        for (boolean training : new boolean[] {true, false}) {
            SameDiff sd = SameDiff.create();
            SDVariable in = sd.placeHolder("in", DataType.FLOAT, -1, 4);
            SDVariable label = sd.placeHolder("label", DataType.FLOAT, -1, 2);
            SDVariable w = sd.var("w", Nd4j.ones(DataType.FLOAT, 4, 2));
            SDVariable out = SameDiffDropout.apply(sd, in.mmul(w), new Dropout(1), SameDiffDropout.trainingSwitch(sd));
            sd.loss.meanSquaredError("loss", label, out, null);
            sd.setTrainingConfig(new TrainingConfig.Builder().updater(new Sgd(0.1)).dataSetFeatureMapping("in")
                    .dataSetLabelMapping("label").build());
            SameDiffDropout.setTraining(sd, training);
            sd.fit(new SingletonDataSetIterator(new DataSet(Nd4j.ones(DataType.FLOAT, 5, 4),
                    Nd4j.zeros(DataType.FLOAT, 5, 2))), 1);
            boolean moved = !w.getArr().equals(Nd4j.ones(DataType.FLOAT, 4, 2));
            assertEquals(!training, moved, "training switch " + training);
        }
    }

    @Test
    void savedAndLoadedGraphsKeepTheirDropout(@TempDir Path dir) throws IOException {
        Case c = cases().get(5); // Dropout2d NHWC
        SameDiff sd = SameDiff.create();
        SameDiffDropout.apply(sd, Y, sd.placeHolder(X, DataType.FLOAT, -1, 3, 2, 6).mul(1.0), c.variant,
                SameDiffDropout.trainingSwitch(sd));
        SameDiffDropout.setTraining(sd, true);
        File file = dir.resolve("graph.fb").toFile();
        sd.save(file, true);
        SameDiff loaded = SameDiff.load(file, true);

        INDArray x = DropoutChecks.positive(c.shape);
        INDArray y = loaded.output(Map.of(X, x), Y).get(Y);
        assertMixed(DropoutOracle.lanes(DropoutChecks.rowMajorDouble(x), DropoutChecks.rowMajorDouble(y), c.shape,
                c.maskShape, null, rule(c, DataType.FLOAT).forward()), "loaded, training");
        SameDiffDropout.setTraining(loaded, false);
        assertSameBits(x, loaded.output(Map.of(X, x), Y).get(Y), "loaded, evaluation");
    }

    /** x (a placeholder of the given rank) -> [x * 1: an op's output, shape unknown] -> dropout "y", switch "training". */
    private static SameDiff graph(AbstractDropout variant, DataType type, int rank, boolean throughOp) {
        SameDiff sd = SameDiff.create();
        long[] unknown = new long[rank];
        Arrays.fill(unknown, -1);
        SDVariable x = sd.placeHolder(X, type, unknown);
        SameDiffDropout.apply(sd, Y, throughOp ? x.mul(1.0) : x, variant, sd.placeHolder(TRAINING, DataType.BOOL));
        return sd;
    }

    private static INDArray run(SameDiff sd, INDArray x, boolean training) {
        return sd.output(Map.of(X, x, TRAINING, Nd4j.scalar(training)), Y).get(Y);
    }

    private static DropoutOracle.Rule rule(Case c, DataType type) {
        return new DropoutOracle.Rule(type, c.variant.getP(), c.variant.alpha());
    }

    private static void assertMixed(Lane[] lanes, String message) {
        long kept = Arrays.stream(lanes).filter(l -> l == Lane.KEPT).count();
        long dropped = Arrays.stream(lanes).filter(l -> l == Lane.DROPPED).count();
        assertTrue(kept > 0 && dropped > 0, message + ": " + kept + " lanes kept, " + dropped + " dropped of "
                + lanes.length);
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
