package io.github.dl4jtorch.benchmarks;

import io.github.dl4jtorch.dropout.kernel.DropoutKernel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The kernel's passes on one array beside the memory floor, a copy of the same array: what every benchmark of
 * standard dropout measures. Subclasses declare the arrays as {@code @Param}s {@code array} and {@code layout} (see
 * {@link BenchArrays}), say the mask's axes if not element-wise, and add their comparisons.
 */
public abstract class KernelBenchmark extends SuiteSettings {

    /** The input, also standing for the gradient in {@link #backward()}. */
    INDArray input;
    INDArray output;
    INDArray gradient;
    /** Its own array: dropout in place compounds, and must not change the other benchmarks' input. */
    private INDArray inPlace;
    int[] maskAxes;
    /** The next mask's key: each forward call draws a fresh mask, as the layer does. */
    long key;

    /** The mask's axes for {@link DropoutKernel} on arrays of {@code layout}: here {@code null}, element-wise. */
    int[] maskAxes(String layout) {
        return null;
    }

    /** Allocates the arrays the subclass's {@code array} and {@code layout} parameters name. */
    @Setup
    public void setUpArrays(BenchmarkParams params) {
        String array = params.getParam("array");
        String layout = params.getParam("layout");
        input = BenchArrays.random(array, layout);
        output = BenchArrays.zeros(array, layout);
        gradient = BenchArrays.zeros(array, layout);
        inPlace = input.dup(BenchArrays.order(layout));
        maskAxes = maskAxes(layout);
    }

    /** The memory floor: read the input once, write the output once ({@code out.assign(x)}). */
    @Benchmark
    public INDArray copy() {
        return output.assign(input);
    }

    /** Ours, into a preallocated output (what the layer does), a fresh mask each call. */
    @Benchmark
    public INDArray forward() {
        return DropoutKernel.forward(input, output, P, false, maskAxes, key++);
    }

    /** Ours, backward: the mask is regenerated from its key. */
    @Benchmark
    public INDArray backward() {
        return DropoutKernel.backward(input, gradient, P, false, maskAxes, key);
    }

    /** Ours, in place ({@code inplace=True}): the output is the input. */
    @Benchmark
    public INDArray inplace() {
        return DropoutKernel.forward(inPlace, inPlace, P, false, maskAxes, key++);
    }
}
