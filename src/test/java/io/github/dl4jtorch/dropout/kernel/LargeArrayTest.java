package io.github.dl4jtorch.dropout.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.fail;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Arrays past 2 GiB (2^29 + 16 floats, 2^28 + 16 doubles), where an NIO view of the whole buffer (at most
 * 2^31 - 1 bytes) no longer reaches: every element of every result is checked against the sampler's mask, on
 * the one-pass path (row- and column-major) and the expanded-mask path (a strided view), forward and backward,
 * in place and not.
 *
 * <p>Memory: at most 6 GiB off-heap at a time (ND4J allocates outside JavaCPP's {@code maxbytes} accounting;
 * JavaCPP's {@code maxphysicalbytes}, 4x the heap by default, leaves room on any machine that has the memory);
 * the arrays are closed after each test.
 */
class LargeArrayTest {

    private static final KeepSampler SAMPLER = new SplitMixKeepSampler();
    private static final long FLOATS = (1L << 29) + 16;
    private static final long DOUBLES = (1L << 28) + 16;
    private static final double P = 0.5;

    @AfterEach
    void releaseTheMaskWorkspace() {
        Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
    }

    /** Which of the expected values element {@code j} of a buffer must hold. */
    private interface Expected {
        int indexAt(long j);
    }

    /**
     * Compares elements {@code [0, elements)} of {@code a}'s buffer (from its offset) bit for bit with
     * {@code values[expected.indexAt(j)]}, reading a chunk at a time.
     */
    private static void assertBuffer(INDArray a, long elements, Expected expected, double[] values, String what) {
        int chunk = 1 << 16;
        boolean isDouble = a.dataType() == DataType.DOUBLE;
        long[] bits = new long[values.length];
        for (int v = 0; v < values.length; v++) {
            bits[v] = isDouble ? Double.doubleToRawLongBits(values[v]) : Float.floatToRawIntBits((float) values[v]);
        }
        float[] floats = new float[chunk];
        double[] doubles = new double[chunk];
        for (long first = 0; first < elements; first += chunk) {
            int n = (int) Math.min(chunk, elements - first);
            if (isDouble) {
                new DoublePointer(a.data().addressPointer()).position(first).get(doubles, 0, n);
            } else {
                new FloatPointer(a.data().addressPointer()).position(first).get(floats, 0, n);
            }
            for (int i = 0; i < n; i++) {
                long actual = isDouble ? Double.doubleToRawLongBits(doubles[i]) : Float.floatToRawIntBits(floats[i]);
                int index = expected.indexAt(first + i);
                if (actual != bits[index]) {
                    fail(what + ": element " + (first + i) + " is " + (isDouble ? doubles[i] : floats[i])
                            + ", expected " + values[index]);
                }
            }
        }
    }

    /** 1 where lane {@code lane} of {@code mask} is kept, else 0. */
    private static int kept(long[] mask, long lane) {
        return (int) (mask[(int) (lane >>> 6)] >>> (lane & 63)) & 1;
    }

    private static INDArray ones(DataType type, char order, long... shape) {
        return Nd4j.createUninitialized(type, shape, order).assign(1);
    }

    private static void assertAllOnes(INDArray x, String what) {
        assertEquals(1.0, x.minNumber().doubleValue(), 0, what);
        assertEquals(1.0, x.maxNumber().doubleValue(), 0, what);
    }

    @Test
    void floatsPastTwoGiBRowMajor() {
        long key = 20240611L;
        long[] mask = SAMPLER.sample(key, FLOATS, 1 - P);
        INDArray x = ones(DataType.FLOAT, 'c', FLOATS);
        try {
            INDArray out = DropoutKernel.forward(x, DropoutKernel.emptyLike(x), P, false, null, key);
            assertBuffer(out, FLOATS, j -> kept(mask, j), new double[] {0, 2}, "forward");
            assertAllOnes(x, "the input of a forward pass not in place");
            assertSame(out, DropoutKernel.backward(out, out, P, false, null, key));
            assertBuffer(out, FLOATS, j -> kept(mask, j), new double[] {0, 4}, "backward in place");
            out.close();
        } finally {
            x.close();
        }
    }

    @Test
    void doublesPastTwoGiBColumnMajorAlpha() {
        // [2, 2^27 + 8] column-major: buffer element j is index (j % 2, j / 2), lane (j % 2) * columns + j / 2.
        long columns = DOUBLES / 2;
        long key = -99L;
        long[] mask = SAMPLER.sample(key, DOUBLES, 1 - P);
        Expected lanes = j -> kept(mask, j % 2 * columns + j / 2);
        DropoutKernel.Factors alpha = DropoutKernel.Factors.of(P, true, DataType.DOUBLE);
        INDArray x = ones(DataType.DOUBLE, 'f', 2, columns);
        try {
            double dropped = 1 * 0.0 + alpha.droppedShift();
            double kept = 1 * alpha.kept() + alpha.keptShift();
            assertSame(x, DropoutKernel.forward(x, x, P, true, null, key));
            assertBuffer(x, DOUBLES, lanes, new double[] {dropped, kept}, "alpha forward in place");
            INDArray grad = DropoutKernel.backward(x, DropoutKernel.emptyLike(x), P, true, null, key);
            assertEquals('f', grad.ordering());
            assertBuffer(grad, DOUBLES, lanes, new double[] {dropped * 0.0, kept * alpha.kept()}, "alpha backward");
            grad.close();
        } finally {
            x.close();
        }
    }

    @Test
    void stridedViewPastTwoGiBOnTheExpandedMaskPath() {
        // Column 0 of [2^29 + 16, 2]: a view with gaps, so the mask is expanded (2 GiB of floats) and ND4J
        // multiplies; in place, column 1 must stay as it was.
        long key = 7L;
        long[] mask = SAMPLER.sample(key, FLOATS, 1 - P);
        INDArray parent = ones(DataType.FLOAT, 'c', FLOATS, 2);
        try {
            INDArray view = parent.get(NDArrayIndex.all(), NDArrayIndex.point(0));
            DropoutKernel.forward(view, view, P, false, null, key);
            assertBuffer(parent, 2 * FLOATS, j -> j % 2 == 1 ? 2 : kept(mask, j / 2), new double[] {0, 2, 1},
                    "forward in place on column 0");
        } finally {
            parent.close();
        }
    }
}
