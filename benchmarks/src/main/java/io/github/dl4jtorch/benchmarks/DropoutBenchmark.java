package io.github.dl4jtorch.benchmarks;

import io.github.dl4jtorch.dropout.Functional;
import io.github.dl4jtorch.dropout.kernel.DropoutKernel;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.DropOutInverted;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Element-wise dropout at p = 0.5 on one 4096 x 4096 float32 array, side by side with the memory floor (a copy
 * into a preallocated array) and DL4J/ND4J's own dropout. {@code order} 'c' is row-major, 'f' column-major (DL4J's
 * dense activations): both take the library's one-pass path, 'f' drawing its mask lane by lane. Compare ratios
 * within one run: the machines are shared.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(1)
public class DropoutBenchmark {

    @Param({"c", "f"})
    public char order;

    private INDArray input;
    private INDArray output;
    private INDArray gradient;
    private Dropout dl4jDropout;
    private long key;

    @Setup
    public void setUp() {
        Nd4j.getRandom().setSeed(1);
        long[] shape = {4096, 4096};
        input = Nd4j.rand(DataType.FLOAT, shape).dup(order);
        output = Nd4j.createUninitialized(DataType.FLOAT, shape, order);
        gradient = Nd4j.createUninitialized(DataType.FLOAT, shape, order);
        dl4jDropout = new Dropout(0.5); // DL4J's argument is the retain probability
    }

    /** The memory floor: read the input once, write the output once. */
    @Benchmark
    public INDArray copy() {
        return output.assign(input);
    }

    /** Ours, into a preallocated output (what a DL4J layer does): forward pass only. */
    @Benchmark
    public INDArray oursForward() {
        return DropoutKernel.forward(input, output, 0.5, false, null, key++);
    }

    /** Ours, backward pass: regenerates the mask from its key. */
    @Benchmark
    public INDArray oursBackward() {
        return DropoutKernel.backward(input, gradient, 0.5, false, null, key);
    }

    /** Ours, the functional form: allocates its output like {@code F.dropout}. */
    @Benchmark
    public INDArray oursFunctional() {
        return Functional.dropout(input, 0.5, true, false);
    }

    /** DL4J's {@code org.deeplearning4j.nn.conf.dropout.Dropout}, as applied by its layers. */
    @Benchmark
    public INDArray dl4jDropout() {
        return dl4jDropout.applyDropout(input, output, 0, 0, LayerWorkspaceMgr.noWorkspaces());
    }

    /** ND4J's native inverted-dropout op alone (keeps no mask, so no backward possible). */
    @Benchmark
    public INDArray nd4jDropOutInverted() {
        return Nd4j.exec(new DropOutInverted(input, output, 0.5));
    }
}
