package io.github.dl4jtorch.samples.data;

import java.util.Arrays;

/**
 * The content of one unsigned-byte IDX file: its dimension sizes and its values in row-major
 * order. For MNIST images the dimensions are {@code [count, rows, columns]}, for labels
 * {@code [count]}.
 */
public final class IdxArray {

    private final String source;
    private final int[] dimensions;
    private final byte[] values;

    IdxArray(String source, int[] dimensions, byte[] values) {
        this.source = source;
        this.dimensions = dimensions.clone();
        this.values = values;
    }

    /** Where the data was read from, for messages. */
    public String source() {
        return source;
    }

    /** Size of dimension {@code index}; dimension 0 counts the records. */
    public int dimension(int index) {
        return dimensions[index];
    }

    /** All dimension sizes. */
    public int[] dimensions() {
        return dimensions.clone();
    }

    /** Number of records: the size of the first dimension. */
    public int count() {
        return dimensions[0];
    }

    /** Value at flat position {@code index}, as the unsigned byte it is (0 to 255). */
    public int unsigned(int index) {
        return values[index] & 0xFF;
    }

    @Override
    public String toString() {
        return source + " " + Arrays.toString(dimensions);
    }
}
