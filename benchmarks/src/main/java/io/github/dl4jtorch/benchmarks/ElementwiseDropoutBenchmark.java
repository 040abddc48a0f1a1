package io.github.dl4jtorch.benchmarks;

import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.DropOutInverted;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Element-wise dropout ({@code nn.Dropout}, p = 0.5) from 64K to 64M elements, row- and column-major: the kernel's
 * passes and a copy ({@link KernelBenchmark}) beside DL4J's and ND4J's own dropout.
 */
public class ElementwiseDropoutBenchmark extends KernelBenchmark {

    /** 64K, 1M, 16M and 64M elements in float32, 16M in float64 (see {@link BenchArrays}). */
    @Param({"float:256x256", "float:1024x1024", "float:4096x4096", "float:8192x8192", "double:4096x4096"})
    public String array;

    /** {@code c} row-major, {@code f} column-major (DL4J's dense activations). */
    @Param({"c", "f"})
    public String layout;

    private final Dropout dl4jDropout = new Dropout(1 - P); // DL4J's argument is the retain probability

    /**
     * DL4J's {@code org.deeplearning4j.nn.conf.dropout.Dropout}, as its layers apply it; without workspaces its
     * mask array is allocated each call.
     */
    @Benchmark
    public INDArray dl4jDropout() {
        return dl4jDropout.applyDropout(input, output, 0, 0, LayerWorkspaceMgr.noWorkspaces());
    }

    /** ND4J's native inverted-dropout op alone (it keeps no mask, so no backward is possible). */
    @Benchmark
    public INDArray nd4jDropOutInverted() {
        return Nd4j.exec(new DropOutInverted(input, output, 1 - P));
    }
}
