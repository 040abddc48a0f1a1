package io.github.dl4jtorch.benchmarks;

import org.deeplearning4j.nn.conf.dropout.SpatialDropout;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * DL4J's {@code SpatialDropout} (p = 0.5) on the arrays of {@link ChannelDropoutBenchmark}, channels-first only: it
 * always takes axis 1 for the channels. Its rows sit beside that benchmark's in the report, with the same copy.
 */
public class Dl4jSpatialDropoutBenchmark extends SuiteSettings {

    /** The arrays of {@link ChannelDropoutBenchmark}. */
    @Param({"float:32x64x32x32", "float:64x64x64x64", "double:32x64x32x32"})
    public String array;

    /** One value: named so that the report finds the copy of the same array. */
    @Param({"nchw"})
    public String layout;

    private INDArray input;
    private INDArray output;
    private SpatialDropout dl4jSpatialDropout;

    @Setup
    public void setUp() {
        input = BenchArrays.random(array, layout);
        output = BenchArrays.zeros(array, layout);
        dl4jSpatialDropout = new SpatialDropout(1 - P); // DL4J's argument is the retain probability
    }

    /** DL4J's {@code SpatialDropout} as its layers apply it: a [N, C] mask broadcast over H and W. */
    @Benchmark
    public INDArray dl4jSpatialDropout() {
        return dl4jSpatialDropout.applyDropout(input, output, 0, 0, LayerWorkspaceMgr.noWorkspaces());
    }
}
