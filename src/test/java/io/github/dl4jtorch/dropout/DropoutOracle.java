package io.github.dl4jtorch.dropout;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * What dropout must produce, from the spec alone (S11, S12, S16, S60, S61, S63), bit for bit in every floating
 * type: an element's kept and dropped values, its gradient, and whether the elements sharing a mask lane agree.
 *
 * <p>Every factor is computed as PyTorch's CPU kernels compute it: double in double; float32 from float
 * scalars ({@code 1f / (float) (1 - p)}, S61's form for alpha); half and bfloat16 in float and rounded to the
 * type after each step. An input value of these types and a factor multiply exactly in double, and a sum of two
 * rounds correctly through double, so one rounding of the double result gives the type's result.
 */
final class DropoutOracle {

    /** SELU's scale times SELU's alpha (S60), written out rather than taken from the code under test. */
    static final double ALPHA = 1.7580993408473766;

    private static final double HALF_MAX = 65504;

    private DropoutOracle() {
    }

    /** {@code value} rounded to nearest-even in {@code type}, overflowing to infinity. */
    static double round(double value, DataType type) {
        return switch (type) {
            case DOUBLE -> value;
            case FLOAT -> (float) value;
            case HALF -> {
                double rounded = DropoutChecks.toHalf(value);
                yield Math.abs(rounded) > HALF_MAX ? Math.copySign(Double.POSITIVE_INFINITY, rounded) : rounded;
            }
            case BFLOAT16 -> DropoutChecks.toBfloat16(value);
            default -> throw new IllegalArgumentException("not a floating type: " + type);
        };
    }

    /**
     * The values dropout with probability {@code p} gives an element of {@code type}: kept, dropped, and the
     * gradient's factor on kept lanes (dropped lanes' gradient is {@code dy * 0}).
     */
    record Rule(DataType type, double p, boolean alpha) {

        /** A kept element: {@code x * scale}, alpha {@code a x + alpha a p}; at p = 1 everything is {@code x * 0}. */
        double kept(double x) {
            if (p == 1) {
                return x * 0;
            }
            return alpha ? round(round(x * factor()) + keptShift()) : round(x * factor());
        }

        /** A dropped element: {@code x * 0}, alpha {@code x * 0 - alpha a (1 - p)} in S61's rounding. */
        double dropped(double x) {
            if (p == 1 || !alpha) {
                return x * 0;
            }
            return round(x * 0 + droppedShift());
        }

        /** The gradient of an element kept ({@code dy * factor}) or dropped ({@code dy * 0}). */
        double gradient(double dy, boolean kept) {
            return kept && p != 1 ? round(dy * factor()) : dy * 0;
        }

        /** Elements forward: {@code in -> out}. */
        ElementRule forward() {
            return new ElementRule(toString(), this::kept, this::dropped);
        }

        /** Elements backward: {@code dy -> dx}. */
        ElementRule backward() {
            return new ElementRule("gradient of " + this, dy -> gradient(dy, true), dy -> gradient(dy, false));
        }

        /** Standard: 1/(1-p); alpha: a; in the type. */
        private double factor() {
            if (type == DataType.DOUBLE) {
                return alpha ? a() : 1.0 / (1 - p);
            }
            return alpha ? round((float) a()) : round(1f / (float) (1 - p));
        }

        private double keptShift() {
            return type == DataType.DOUBLE ? ALPHA * a() * p : round((float) (ALPHA * a() * p));
        }

        private double droppedShift() {
            if (type == DataType.DOUBLE) {
                return -(ALPHA * a()) + ALPHA * a() * p;
            }
            return round(round(-(float) (ALPHA * a())) + (float) (ALPHA * a() * p));
        }

        private double a() {
            return 1 / Math.sqrt((ALPHA * ALPHA * p + 1) * (1 - p));
        }

        private double round(double value) {
            return DropoutOracle.round(value, type);
        }

        @Override
        public String toString() {
            return (alpha ? "alpha " : "") + "dropout p=" + p + " in " + type;
        }
    }

    /** Whether two values are the same bit for bit, any NaN matching any NaN (the spec says NaN, not which). */
    static boolean same(double expected, double actual) {
        return Double.isNaN(expected) ? Double.isNaN(actual)
                : Double.doubleToRawLongBits(expected) == Double.doubleToRawLongBits(actual);
    }

    /** A mask lane's state as the elements seen so far allow it: kept, dropped, or either. */
    enum Lane {
        KEPT, DROPPED, EITHER;

        static Lane of(boolean canBeKept, boolean canBeDropped) {
            return canBeKept && canBeDropped ? EITHER : canBeKept ? KEPT : canBeDropped ? DROPPED : null;
        }

        /** This state and {@code other}'s together; {@code null} if they contradict each other. */
        Lane and(Lane other) {
            return this == EITHER ? other : other == EITHER || other == this ? this : null;
        }
    }

    /**
     * The lanes of the mask of shape {@code maskShape} (row-major) behind {@code out = dropout(in)}, where both
     * are in row-major order over {@code shape}. Fails naming the element unless every element is kept or
     * dropped by {@code rule} and the elements of each lane agree; {@code lanes} (may be {@code null}), the
     * lanes already known (say, from the forward pass), must agree too.
     */
    static Lane[] lanes(double[] in, double[] out, long[] shape, long[] maskShape, Lane[] lanes, ElementRule rule) {
        Lane[] result = lanes != null ? lanes.clone() : new Lane[(int) length(maskShape)];
        if (lanes == null) {
            Arrays.fill(result, Lane.EITHER);
        }
        for (int i = 0; i < in.length; i++) {
            double kept = rule.kept().applyAsDouble(in[i]);
            double dropped = rule.dropped().applyAsDouble(in[i]);
            Lane element = Lane.of(same(kept, out[i]), same(dropped, out[i]));
            if (element == null) {
                fail(rule.description() + ": element " + coordinates(i, shape) + " is " + in[i] + " -> " + out[i]
                        + ", neither kept (" + kept + ") nor dropped (" + dropped + ")");
            }
            int lane = laneOf(i, shape, maskShape);
            Lane both = result[lane].and(element);
            if (both == null) {
                fail(rule.description() + ": element " + coordinates(i, shape) + " (" + in[i] + " -> " + out[i]
                        + ") is " + element + " but the rest of its lane " + coordinates(lane, maskShape) + " of mask "
                        + Arrays.toString(maskShape) + " is " + result[lane]);
            }
            result[lane] = both;
        }
        return result;
    }

    static long length(long[] shape) {
        return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    }

    /**
     * The kept and dropped values of one element, forward ({@link Rule#forward()}) or backward
     * ({@link Rule#backward()}).
     */
    record ElementRule(String description, DoubleUnaryOperator kept, DoubleUnaryOperator dropped) {
    }

    /** The row-major index, in a mask of {@code maskShape}, of the lane element {@code i} of {@code shape} uses. */
    static int laneOf(long i, long[] shape, long[] maskShape) {
        long rest = i;
        long lane = 0;
        long laneStride = 1;
        for (int axis = shape.length - 1; axis >= 0; axis--) {
            long coordinate = rest % shape[axis];
            rest /= shape[axis];
            if (maskShape[axis] != 1) {
                lane += coordinate * laneStride;
            }
            laneStride *= maskShape[axis];
        }
        return (int) lane;
    }

    /** {@code shape} with every axis but {@code axes} set to 1. */
    static long[] keepAxes(long[] shape, int... axes) {
        long[] mask = new long[shape.length];
        Arrays.fill(mask, 1);
        for (int axis : axes) {
            mask[axis] = shape[axis];
        }
        return mask;
    }

    static String coordinates(long i, long[] shape) {
        long[] coordinate = new long[shape.length];
        long rest = i;
        for (int axis = shape.length - 1; axis >= 0; axis--) {
            coordinate[axis] = rest % shape[axis];
            rest /= shape[axis];
        }
        return Arrays.toString(coordinate);
    }
}
