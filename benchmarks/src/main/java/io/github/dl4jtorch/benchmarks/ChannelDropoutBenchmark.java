package io.github.dl4jtorch.benchmarks;

import io.github.dl4jtorch.dropout.kernel.DropoutKernel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Channel-wise dropout ({@code nn.Dropout2d}, p = 0.5: one draw per example and channel) on 4-D activations held
 * channels-first (NCHW) and channels-last (NHWC, a row-major (N, H, W, C) array as DL4J holds it): the kernel's
 * passes and a copy ({@link KernelBenchmark}), and feature alpha dropout. DL4J's {@code SpatialDropout} is
 * {@link Dl4jSpatialDropoutBenchmark} (it takes NCHW only).
 */
public class ChannelDropoutBenchmark extends KernelBenchmark {

    /** (N, C, H, W): 2M and 16M elements in float32, 2M in float64 (see {@link BenchArrays}). */
    @Param({"float:32x64x32x32", "float:64x64x64x64", "double:32x64x32x32"})
    public String array;

    /** {@code nchw} or {@code nhwc}. */
    @Param({"nchw", "nhwc"})
    public String layout;

    @Override
    int[] maskAxes(String layout) {
        return BenchArrays.channelMaskAxes(layout);
    }

    /** Ours, feature alpha dropout ({@code nn.FeatureAlphaDropout}): alpha dropout with the channel mask. */
    @Benchmark
    public INDArray alphaForward() {
        return DropoutKernel.forward(input, output, P, true, maskAxes, key++);
    }
}
