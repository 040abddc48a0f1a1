package io.github.dl4jtorch.benchmarks;

import io.github.dl4jtorch.dropout.Dropout;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * One MLP batch, 64 x 256 float32: the per-call cost of the kernel's passes against a copy of the same small array
 * ({@link KernelBenchmark}), and of the whole layer: our {@link Dropout}'s runtime layer taken from a small
 * {@link MultiLayerNetwork}, called the way a training pass calls it, its arrays in a workspace.
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SmallBatchBenchmark extends KernelBenchmark {

    /** 64 examples of 256 features (see {@link BenchArrays}). */
    @Param({"float:64x256"})
    public String array;

    /** {@code c} row-major, {@code f} column-major (DL4J's dense activations). */
    @Param({"c", "f"})
    public String layout;

    /** The activations' and gradients' workspace, configured as {@code MultiLayerNetwork}'s training one. */
    private static final WorkspaceConfiguration WORKSPACE = WorkspaceConfiguration.builder()
            .initialSize(0)
            .overallocationLimit(0.05)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .build();

    private Layer dropoutLayer;
    private LayerWorkspaceMgr workspaces;

    /** Builds {@code Dropout(0.5) -> Dense(256 -> 256)} and hands the dropout layer its input. */
    @Setup
    public void setUpLayer() {
        int features = Math.toIntExact(input.size(1));
        MultiLayerConfiguration configuration = new NeuralNetConfiguration.Builder()
                .dataType(DataType.FLOAT)
                .list()
                .layer(new Dropout(P))
                .layer(new OutputLayer.Builder(LossFunction.MSE).nOut(features).activation(Activation.IDENTITY).build())
                .setInputType(InputType.feedForward(features))
                .build();
        MultiLayerNetwork network = new MultiLayerNetwork(configuration);
        network.init();
        dropoutLayer = network.getLayer(0);
        workspaces = LayerWorkspaceMgr.builder()
                .defaultNoWorkspace()
                .with(ArrayType.ACTIVATIONS, "BENCH_ACTIVATIONS", WORKSPACE)
                .with(ArrayType.ACTIVATION_GRAD, "BENCH_GRADIENTS", WORKSPACE)
                .build();
        dropoutLayer.setInput(input, workspaces);
        try (MemoryWorkspace ignored = workspaces.notifyScopeEntered(ArrayType.ACTIVATIONS)) {
            dropoutLayer.activate(true, workspaces); // a forward pass for layerBackward's first call
        }
    }

    /** The layer's training forward pass: draws a key, allocates its output in the workspace, runs the kernel. */
    @Benchmark
    public void layerForward(Blackhole blackhole) {
        try (MemoryWorkspace ignored = workspaces.notifyScopeEntered(ArrayType.ACTIVATIONS)) {
            blackhole.consume(dropoutLayer.activate(true, workspaces));
        }
    }

    /** The layer's backward pass for its last forward pass, the input standing for the gradient. */
    @Benchmark
    public void layerBackward(Blackhole blackhole) {
        try (MemoryWorkspace ignored = workspaces.notifyScopeEntered(ArrayType.ACTIVATION_GRAD)) {
            blackhole.consume(dropoutLayer.backpropGradient(input, workspaces));
        }
    }
}
