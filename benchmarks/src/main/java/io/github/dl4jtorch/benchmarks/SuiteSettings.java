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
 * milliseconds, one fork per benchmark and parameter set, 2 warm-up iterations of 1 s (the kernel's loops are
 * compiled within the first one: even a 64K array takes thousands of calls a second) and 5 measured ones of 500 ms.
 * With the fork's start (JVM and ND4J, ~2 s) that is ~7 s per row, ~14 minutes for the suite's 117 rows on two
 * cores. The command line overrides any of them ({@code -f}, {@code -wi}, {@code -w}, {@code -i}, {@code -r}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(1)
public abstract class SuiteSettings {

    /** The drop probability of every benchmark (PyTorch's meaning). */
    static final double P = 0.5;
}
