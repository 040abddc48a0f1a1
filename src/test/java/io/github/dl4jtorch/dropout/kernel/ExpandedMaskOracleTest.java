package io.github.dl4jtorch.dropout.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.dl4jtorch.dropout.Functional;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The expanded-mask path (channel-wise masks, strided views) on masks of several kernel chunks, lane by lane against
 * an oracle: the sampler's whole mask for the key the call draws. A chunk drawn with the wrong offset, repeated, or
 * applied to the wrong elements shows as a mismatch.
 */
class ExpandedMaskOracleTest {

    private static final long SEED = 2026;
    /** More than three chunks of lanes, and not a multiple of a chunk or of a 64-lane word. */
    private static final int LANES = 3 * LaneChunks.CHUNK_LANES + 4099;

    /** The key the next call on this thread draws, and the generator reset so that the call draws it again. */
    private static long nextKey() {
        Nd4j.getRandom().setSeed(SEED);
        long key = DropoutKernel.newKey();
        Nd4j.getRandom().setSeed(SEED);
        return key;
    }

    @Test
    void channelMaskOfSeveralChunksIsTheSamplersLaneByLane() {
        int batch = 7;
        int channels = LANES / batch;
        INDArray x = Nd4j.ones(DataType.FLOAT, batch, channels, 3);
        long[] mask = new SplitMixKeepSampler().sample(nextKey(), (long) batch * channels, 0.5);
        INDArray y = Functional.dropout1d(x, 0.5, true, false);
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < channels; c++) {
                float expected = KeepSampler.isKept(mask, (long) n * channels + c) ? 2 : 0;
                for (int l = 0; l < 3; l++) {
                    assertEquals(expected, y.getFloat(n, c, l), "lane (" + n + ", " + c + "), position " + l);
                }
            }
        }
    }

    @Test
    void elementMaskOnAStridedViewOfSeveralChunksIsTheSamplersLaneByLane() {
        INDArray parent = Nd4j.ones(DataType.DOUBLE, 2L * LANES);
        INDArray view = parent.get(NDArrayIndex.interval(0, 2, 2L * LANES));
        long[] mask = new SplitMixKeepSampler().sample(nextKey(), LANES, 0.25);
        INDArray y = Functional.dropout(view, 0.75, true, true);
        for (int i = 0; i < LANES; i++) {
            assertEquals(KeepSampler.isKept(mask, i) ? 4.0 : 0.0, y.getDouble(i), "lane " + i);
            assertEquals(1.0, parent.getDouble(2L * i + 1), "element between the view's elements");
        }
    }
}
