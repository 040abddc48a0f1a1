package io.github.dl4jtorch.benchmarks;

import java.util.Arrays;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The arrays the benchmarks run on, from their two parameters, which the report and the PyTorch script read the same
 * way:
 * <ul>
 *   <li>{@code array}: {@code type:shape}, e.g. {@code float:4096x4096} or {@code double:32x64x32x32}; a 4-D shape
 *       is given as (N, C, H, W) whatever the layout;</li>
 *   <li>{@code layout}: {@code c} (row-major) or {@code f} (column-major, DL4J's dense activations) for any rank;
 *       {@code nchw} or {@code nhwc} for 4-D activations, both dense row-major arrays, {@code nhwc} holding
 *       (N, H, W, C) as DL4J does for {@code CNN2DFormat.NHWC}.</li>
 * </ul>
 */
final class BenchArrays {

    private BenchArrays() {
    }

    /** The element type of {@code array}: {@code float}, {@code double} or {@code half}. */
    static DataType type(String array) {
        return DataType.valueOf(part(array, 0).toUpperCase(Locale.ROOT));
    }

    /** The shape of {@code array} as it is held in {@code layout}: (N, H, W, C) for {@code nhwc}. */
    static long[] shape(String array, String layout) {
        long[] shape = Arrays.stream(part(array, 1).split("x")).mapToLong(Long::parseLong).toArray();
        if (layout.equals("nhwc")) {
            checkRank4(shape, layout);
            return new long[] {shape[0], shape[2], shape[3], shape[1]};
        }
        if (layout.equals("nchw")) {
            checkRank4(shape, layout);
        }
        return shape;
    }

    /** The memory order of {@code layout}. */
    static char order(String layout) {
        return switch (layout) {
            case "c", "nchw", "nhwc" -> 'c';
            case "f" -> 'f';
            default -> throw new IllegalArgumentException("unknown layout '" + layout + "', expected c, f, nchw or nhwc");
        };
    }

    /** The mask axes of channel-wise dropout (one draw per example and channel) for a 4-D {@code layout}. */
    static int[] channelMaskAxes(String layout) {
        return switch (layout) {
            case "nchw" -> new int[] {0, 1};
            case "nhwc" -> new int[] {0, 3};
            default -> throw new IllegalArgumentException("channel-wise dropout takes layout nchw or nhwc, not '" + layout + "'");
        };
    }

    /** Uniform [0, 1) values of {@code array}'s type and shape, laid out as {@code layout}; seeded. */
    static INDArray random(String array, String layout) {
        Nd4j.getRandom().setSeed(1);
        return Nd4j.rand(type(array), order(layout), shape(array, layout));
    }

    /**
     * An array of {@code array}'s type and shape laid out as {@code layout}, already written once, so that no
     * measured call pays for the first touch of fresh memory.
     */
    static INDArray zeros(String array, String layout) {
        return Nd4j.createUninitialized(type(array), shape(array, layout), order(layout)).assign(0);
    }

    private static String part(String array, int index) {
        String[] parts = array.split(":");
        if (parts.length != 2) {
            throw new IllegalArgumentException("array '" + array + "' is not type:shape, e.g. float:4096x4096");
        }
        return parts[index];
    }

    private static void checkRank4(long[] shape, String layout) {
        if (shape.length != 4) {
            throw new IllegalArgumentException("layout " + layout + " takes a 4-D shape NxCxHxW, not " + Arrays.toString(shape));
        }
    }
}
