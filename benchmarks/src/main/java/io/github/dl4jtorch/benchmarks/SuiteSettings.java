package io.github.dl4jtorch.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The settings every benchmark of the suite inherits (JMH's annotations are inherited): average time per call in
 * milliseconds, one fork per benchmark and parameter set, 3 warm-up and 5 measured iterations of 1 s. About 10 s
 * per row with the fork's start, so the whole suite runs in about a quarter of an hour on two cores; the command line
 * overrides any of them ({@code -f}, {@code -wi}, {@code -w}, {@code -i}, {@code -r}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public abstract class SuiteSettings {

    /** The drop probability of every benchmark (PyTorch's meaning). */
    static final double P = 0.5;
}
