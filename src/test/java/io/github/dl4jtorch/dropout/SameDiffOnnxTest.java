package io.github.dl4jtorch.dropout;

import static io.github.dl4jtorch.dropout.DropoutChecks.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dl4jtorch.dropout.DropoutOracle.Lane;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import onnx.Onnx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.DropOutInverted;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.samediff.frameworkimport.onnx.importer.OnnxFrameworkImporter;
import org.nd4j.shade.protobuf.ByteString;

/**
 * ONNX models with a {@code Dropout} node, built here with the ONNX protobuf classes ND4J ships and imported by ND4J's
 * ONNX importer (samediff-import-onnx 1.0.0-M2.1): what the importer makes of the node, and
 * {@link SameDiffDropout#replaceImported}. The model is {@code in (N, 4) -> Gemm -> Add -> Relu -> [Dropout] -> Gemm
 * -> Add -> out (N, 3)}; its twin without the Dropout node is the reference. (Gemm without C and a separate Add: when
 * this test was written, this importer gave MatMul an alpha of 0, so that it output zeros, and ignored Gemm's C.)
 */
class SameDiffOnnxTest {

    private static final float RATIO = 0.1f;
    private static final float[] W1 = {0.5f, -1f, 0.25f, 1.5f, -0.75f, 1f, 0.5f, -0.25f, 2f, 0.125f, -1.5f, 0.75f,
            -0.5f, 1.25f, 0.375f, -2f, 1f, 0.5f, -1f, 0.25f, 0.625f, -0.125f, 1.75f, -0.375f, 1f, 1f, -0.5f, 0.5f,
            0.25f, -0.625f, 1.125f, 0.875f};
    private static final float[] B1 = {0.25f, -0.5f, 0.75f, 0.125f, -0.25f, 0.5f, 1f, -0.125f};
    private static final float[] W2 = {1f, -0.5f, 0.25f, -0.75f, 0.5f, 1.25f, 0.375f, 1f, -1f, -0.25f, 0.625f, 0.5f,
            1.5f, -0.125f, 0.75f, -1.25f, 0.25f, 1f, 0.5f, -0.875f, -0.5f, 0.125f, 1.5f, 0.25f};
    private static final float[] B2 = {0.1f, -0.2f, 0.3f};

    @TempDir
    Path dir;

    /**
     * What the importer makes of ONNX's Dropout: ND4J's {@code dropout_inverted} with the ratio as a <em>retain</em>
     * probability (ratio 0.1 keeps 10% and multiplies them by 10), dropping at inference, without a gradient, and with
     * the declared output shape (a symbolic batch gives a batch of 1).
     */
    @Test
    void dl4jDefect_importedDropoutTakesTheRatioAsRetainProbabilityAndDropsAtInference() throws IOException {
        SameDiff imported = importModel(13, true, false);
        assertTrue(imported.getOps().values().stream().anyMatch(op -> op.getOp() instanceof DropOutInverted));
        INDArray in = Nd4j.randn(DataType.FLOAT, 1000, 4);
        Map<String, INDArray> first = imported.output(Map.of("in", in), "hidden", "dropped", "out");
        INDArray hidden = first.get("hidden").dup();
        INDArray dropped = first.get("dropped").dup();
        INDArray out = first.get("out").dup();

        // Relu zeroes about half of the 8,000 lanes; each positive one is kept with probability 0.1 if the ratio is a
        // retain probability (0.9 if it were the drop probability ONNX means). About 4,000 positive lanes: sd of the
        // kept fraction 0.0047, so 0.03 is 6 sd (false failure 2e-9).
        INDArray positive = hidden.gt(0);
        INDArray kept = dropped.neq(0);
        double keptFraction = kept.castTo(DataType.DOUBLE).sumNumber().doubleValue()
                / positive.castTo(DataType.DOUBLE).sumNumber().doubleValue();
        assertEquals(RATIO, keptFraction, 0.03);
        INDArray scaled = hidden.mul(kept.castTo(DataType.FLOAT)).div(RATIO);
        assertTrue(Transforms.abs(dropped.sub(scaled)).maxNumber().doubleValue() < 1e-5, "kept values are x / 0.1");
        assertNotEquals(out, imported.output(Map.of("in", in), "out").get("out"), "drops at inference");
        imported.convertToVariable(imported.getVariable("W1"));
        assertEquals("DropOutInverted does not have a derivative.", assertThrows(UnsupportedOperationException.class,
                () -> imported.calculateGradients(Map.of("in", in), "W1")).getMessage());

        SameDiff symbolic = importModel(13, true, true);
        assertArrayEquals(new long[] {1, 8}, symbolic.output(Map.of("in", Nd4j.randn(DataType.FLOAT, 5, 4)), "dropped")
                .get("dropped").shape(), "a symbolic batch of 5 comes out as 1");
    }

    /** ONNX opset 10 (ratio attribute) and 13 (ratio input): inference then is that of the model without Dropout. */
    @ParameterizedTest(name = "opset {0}")
    @ValueSource(ints = {10, 13})
    void identityReplacementGivesTheOutputOfTheModelWithoutDropout(int opset) throws IOException {
        SameDiff imported = importModel(opset, true, true);
        SameDiff fixed = SameDiffDropout.replaceImported(imported, SameDiffDropout.Replacement.IDENTITY);
        SameDiff reference = importModel(opset, false, true);

        for (int batch : new int[] {5, 2}) {
            INDArray in = Nd4j.randn(DataType.FLOAT, batch, 4);
            INDArray out = fixed.output(Map.of("in", in), "out").get("out").dup();
            assertSameBits(reference.output(Map.of("in", in), "out").get("out"), out, "batch " + batch);
            assertSameBits(out, fixed.output(Map.of("in", in), "out").get("out"), "deterministic");
            assertTrue(out.equalsWithEps(byHand(in), 1e-5), "the import computes the model: " + out + " vs " + byHand(in));
        }
        assertTrue(fixed.getOps().values().stream().noneMatch(op -> op.getOp() instanceof DropOutInverted));
        assertTrue(imported.getOps().values().stream().anyMatch(op -> op.getOp() instanceof DropOutInverted),
                "the imported graph is left as it was");
    }

    /**
     * With this library's dropout in its place, the imported graph drops with p = ratio in training, PyTorch's way, is
     * the model without Dropout in evaluation, and has a gradient.
     */
    @Test
    void dropoutReplacementTrainsWithTheRatioAsDropProbability() throws IOException {
        SameDiff fixed = SameDiffDropout.replaceImported(importModel(13, true, true), SameDiffDropout.Replacement.DROPOUT);
        SameDiff reference = importModel(13, false, true);
        INDArray in = Nd4j.randn(DataType.FLOAT, 500, 4);

        assertSameBits(reference.output(Map.of("in", in), "out").get("out"),
                fixed.output(Map.of("in", in), "out").get("out"), "evaluation");

        SameDiffDropout.setTraining(fixed, true);
        Map<String, INDArray> training = fixed.output(Map.of("in", in), "hidden", "dropped");
        INDArray hidden = training.get("hidden");
        long[] shape = hidden.shape();
        Lane[] lanes = DropoutOracle.lanes(DropoutChecks.rowMajorDouble(hidden),
                DropoutChecks.rowMajorDouble(training.get("dropped")), shape, shape, null,
                new DropoutOracle.Rule(DataType.FLOAT, RATIO, false).forward());
        long dropped = Arrays.stream(lanes).filter(lane -> lane == Lane.DROPPED).count();
        long decided = Arrays.stream(lanes).filter(lane -> lane != Lane.EITHER).count(); // Relu's zeros are either
        // About 2,000 decided lanes, each dropped with probability 0.1: sd 0.0067; 0.04 is 6 sd (false failure 2e-9).
        assertEquals(RATIO, (double) dropped / decided, 0.04);
        assertTrue(decided > 1000, decided + " lanes decided");

        fixed.convertToVariable(fixed.getVariable("W1"));
        INDArray gradient = fixed.calculateGradients(Map.of("in", in), "W1").get("W1");
        assertArrayEquals(new long[] {4, 8}, gradient.shape());
        assertTrue(gradient.amaxNumber().doubleValue() > 0, "a gradient reaches the first layer");
    }

    /** The two layers by hand in ND4J: relu(in W1 + b1) W2 + b2. */
    private static INDArray byHand(INDArray in) {
        INDArray hidden = Transforms.relu(in.mmul(Nd4j.createFromArray(W1).reshape(4, 8))
                .addRowVector(Nd4j.createFromArray(B1)));
        return hidden.mmul(Nd4j.createFromArray(W2).reshape(8, 3)).addRowVector(Nd4j.createFromArray(B2));
    }

    /**
     * Writes the model (with or without its Dropout node; batch axis symbolic "N" or 1000) in opset 10 (ratio as an
     * attribute) or 13 (ratio as an input) and imports it.
     */
    private SameDiff importModel(int opset, boolean withDropout, boolean symbolicBatch) throws IOException {
        long batch = symbolicBatch ? -1 : 1000;
        Onnx.GraphProto.Builder graph = Onnx.GraphProto.newBuilder().setName("mlp")
                .addInput(valueInfo("in", batch, 4)).addOutput(valueInfo("out", batch, 3))
                .addInitializer(tensor("W1", W1, 4, 8)).addInitializer(tensor("B1", B1, 8))
                .addInitializer(tensor("W2", W2, 8, 3)).addInitializer(tensor("B2", B2, 3))
                .addNode(node("Gemm", "gemm1", "in", "W1").setOutput(0, "h1"))
                .addNode(node("Add", "add1", "h1", "B1").setOutput(0, "pre"))
                .addNode(node("Relu", "relu", "pre").setOutput(0, "hidden"));
        String secondInput = "hidden";
        if (withDropout) {
            Onnx.NodeProto.Builder dropout = node("Dropout", "dropout", "hidden").setOutput(0, "dropped");
            if (opset >= 12) {
                graph.addInitializer(tensor("ratio", new float[] {RATIO}));
                dropout.addInput("ratio");
            } else {
                dropout.addAttribute(Onnx.AttributeProto.newBuilder().setName("ratio")
                        .setType(Onnx.AttributeProto.AttributeType.FLOAT).setF(RATIO));
            }
            graph.addValueInfo(valueInfo("dropped", batch, 8)).addNode(dropout);
            secondInput = "dropped";
        }
        graph.addNode(node("Gemm", "gemm2", secondInput, "W2").setOutput(0, "h2"))
                .addNode(node("Add", "add2", "h2", "B2").setOutput(0, "out"));
        Onnx.ModelProto model = Onnx.ModelProto.newBuilder().setIrVersion(7).setGraph(graph)
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).build();
        Path file = dir.resolve("mlp-" + opset + (withDropout ? "-dropout" : "") + (symbolicBatch ? "-n" : "") + ".onnx");
        Files.write(file, model.toByteArray());
        return new OnnxFrameworkImporter().runImport(file.toString(), Map.of(), false);
    }

    private static Onnx.NodeProto.Builder node(String type, String name, String... inputs) {
        Onnx.NodeProto.Builder node = Onnx.NodeProto.newBuilder().setOpType(type).setName(name).addOutput("");
        Arrays.stream(inputs).forEach(node::addInput);
        if (type.equals("Gemm")) {
            node.addAttribute(Onnx.AttributeProto.newBuilder().setName("alpha")
                    .setType(Onnx.AttributeProto.AttributeType.FLOAT).setF(1f));
        }
        return node;
    }

    /** A float tensor's type and shape; a negative size is the symbolic batch size "N". */
    private static Onnx.ValueInfoProto valueInfo(String name, long... shape) {
        Onnx.TensorShapeProto.Builder dims = Onnx.TensorShapeProto.newBuilder();
        for (long size : shape) {
            dims.addDim(size < 0 ? Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam("N")
                    : Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(size));
        }
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder().setTensorType(
                Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT.getNumber())
                        .setShape(dims))).build();
    }

    /** A float initializer, its values little-endian in raw_data as exporters write them. */
    private static Onnx.TensorProto tensor(String name, float[] values, long... shape) {
        ByteBuffer bytes = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            bytes.putFloat(v);
        }
        Onnx.TensorProto.Builder tensor = Onnx.TensorProto.newBuilder().setName(name)
                .setDataType(Onnx.TensorProto.DataType.FLOAT.getNumber()).setRawData(ByteString.copyFrom(bytes.array()));
        Arrays.stream(shape).forEach(tensor::addDims);
        return tensor.build();
    }
}
