package io.github.dl4jtorch.benchmarks;

import io.github.dl4jtorch.dropout.kernel.DropoutKernel;
import org.deeplearning4j.nn.conf.dropout.AlphaDropout;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Element-wise alpha dropout ({@code nn.AlphaDropout}, p = 0.5) beside DL4J's {@code AlphaDropout}, on 16M elements
 * of float32 and float64, row- and column-major. The copy of the same array is {@link ElementwiseDropoutBenchmark}'s:
 * the report takes it from there.
 */
public class AlphaDropoutBenchmark extends SuiteSettings {

    /** 16M elements, float32 and float64 (see {@link BenchArrays}). */
    @Param({"float:4096x4096", "double:4096x4096"})
    public String array;

    /** {@code c} row-major, {@code f} column-major. */
    @Param({"c", "f"})
    public String layout;

    private INDArray input;
    private INDArray output;
    private final AlphaDropout dl4jAlphaDropout = new AlphaDropout(1 - P); // DL4J's argument is the retain probability
    private long key;

    @Setup
    public void setUp() {
        input = BenchArrays.random(array, layout);
        output = BenchArrays.zeros(array, layout);
    }

    /** Ours, into a preallocated output, a fresh mask each call. */
    @Benchmark
    public INDArray alphaForward() {
        return DropoutKernel.forward(input, output, P, true, null, key++);
    }

    /** Ours, backward (the input stands for the gradient): the mask is regenerated from its key. */
    @Benchmark
    public INDArray alphaBackward() {
        return DropoutKernel.backward(input, output, P, true, null, key);
    }

    /** DL4J's {@code AlphaDropout} as its layers apply it; without workspaces its mask is allocated each call. */
    @Benchmark
    public INDArray dl4jAlphaDropout() {
        return dl4jAlphaDropout.applyDropout(input, output, 0, 0, LayerWorkspaceMgr.noWorkspaces());
    }
}
