package io.github.dl4jtorch.dropout;

import java.util.Arrays;
import java.util.Objects;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.DataFormat;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Base of the channel-wise layers ({@link Dropout1d}, {@link Dropout2d}, {@link Dropout3d},
 * {@link FeatureAlphaDropout}): one draw per (example, channel), shared by every position of that channel.
 *
 * <p>Unlike PyTorch, DL4J arrays may be channels-last, so the channel axis comes from a {@link DataFormat}:
 * the one carried by the network's {@code InputType} (set {@code setInputType(...)} on the configuration), or
 * one given on the builder. A format that contradicts the input type, or an input type of the wrong kind,
 * fails when the configuration is built; Dropout1d/2d/3d without any format fail when the network is
 * initialised.
 */
public abstract class AbstractChannelDropout extends AbstractDropout {

    private static final long serialVersionUID = 1L;

    @JsonProperty("dataFormat")
    private DataFormat dataFormat;

    /** For deserialisation. */
    protected AbstractChannelDropout() {
    }

    protected AbstractChannelDropout(Builder<?> builder) {
        super(builder);
        this.dataFormat = builder.dataFormat;
    }

    /**
     * The format that places the channel axis: set on the builder or taken from the network's input type;
     * {@code null} while unknown.
     */
    public DataFormat getDataFormat() {
        return dataFormat;
    }

    /** Which family of formats and which input rank this layer takes. */
    abstract ChannelLayout layout();

    @Override
    int[] maskAxes(long[] shape) {
        int rank = shape.length;
        boolean rankFits = layout().rank == 0 ? rank >= 2 : rank == layout().rank;
        if (!rankFits) {
            throw new IllegalArgumentException(name() + " takes " + layout().description + ", but got an array of shape "
                    + Arrays.toString(shape));
        }
        return new int[] {0, isChannelsLast() ? rank - 1 : 1};
    }

    /** Whether the channels are on the last axis (NWC, NHWC, NDHWC); otherwise on axis 1, also without a format. */
    boolean isChannelsLast() {
        return isChannelsLast(dataFormat);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        DataFormat carried = formatOf(inputType);
        if (carried == null) {
            return;
        }
        if (dataFormat != null && dataFormat != carried) {
            throw new IllegalArgumentException(name() + " is configured for " + dataFormat
                    + " but its input type is " + carried + ": " + inputType);
        }
        dataFormat = carried;
    }

    @Override
    void checkInputType(InputType inputType) {
        formatOf(inputType);
    }

    @Override
    void checkComplete(int layerIndex) {
        if (dataFormat == null && layout().formats != null) {
            throw new IllegalStateException(name() + " (layer " + layerIndex + "): unknown channel axis. Give the "
                    + "network its input type, " + layout().description + ", with setInputType(...), or set "
                    + "dataFormat(...) on the layer's builder");
        }
    }

    @Override
    String describeExtra() {
        return dataFormat == null ? "" : ", dataFormat=" + dataFormat;
    }

    /** The format {@code inputType} carries ({@code null} for none), after checking this layer can take it. */
    private DataFormat formatOf(InputType inputType) {
        DataFormat carried = formatCarriedBy(inputType);
        Class<? extends DataFormat> formats = layout().formats;
        if (formats != null && !formats.isInstance(carried)) {
            throw new IllegalArgumentException(name() + " takes " + layout().description + ", but its input type is "
                    + inputType);
        }
        return carried;
    }

    /** The format a recurrent, convolutional or 3-D convolutional input type carries; {@code null} for other types. */
    static DataFormat formatCarriedBy(InputType inputType) {
        if (inputType instanceof InputType.InputTypeRecurrent recurrent) {
            return recurrent.getFormat();
        }
        if (inputType instanceof InputType.InputTypeConvolutional convolutional) {
            return convolutional.getFormat();
        }
        if (inputType instanceof InputType.InputTypeConvolutional3D convolutional3D) {
            return convolutional3D.getDataFormat();
        }
        return null;
    }

    private static boolean isChannelsLast(DataFormat format) {
        return format == CNN2DFormat.NHWC || format == RNNFormat.NWC || format == Convolution3D.DataFormat.NDHWC;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && Objects.equals(dataFormat, ((AbstractChannelDropout) o).dataFormat);
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + Objects.hashCode(dataFormat);
    }

    /** The input a channel-wise layer takes. */
    enum ChannelLayout {
        ONE_SPATIAL_DIM(RNNFormat.class, 3,
                "recurrent input (N, C, L) or (N, L, C): InputType.recurrent(channels, length, RNNFormat.NCW or NWC)"),
        TWO_SPATIAL_DIMS(CNN2DFormat.class, 4,
                "convolutional input (N, C, H, W) or (N, H, W, C): InputType.convolutional(h, w, c, CNN2DFormat.NCHW "
                        + "or NHWC)"),
        THREE_SPATIAL_DIMS(Convolution3D.DataFormat.class, 5,
                "3-D convolutional input (N, C, D, H, W) or (N, D, H, W, C): InputType.convolutional3D("
                        + "Convolution3D.DataFormat.NCDHW or NDHWC, d, h, w, c)"),
        ANY(null, 0, "input of rank 2 or more, channels on axis 1 unless its data format says otherwise");

        final Class<? extends DataFormat> formats;
        final int rank;
        final String description;

        ChannelLayout(Class<? extends DataFormat> formats, int rank, String description) {
            this.formats = formats;
            this.rank = rank;
            this.description = description;
        }
    }

    /**
     * Builder of the channel-wise layers.
     *
     * @param <T> the concrete builder
     */
    @SuppressWarnings("unchecked")
    public abstract static class Builder<T extends Builder<T>> extends AbstractDropout.Builder<T> {

        private DataFormat dataFormat;

        /** Sets the format placing the channel axis; the typed {@code dataFormat(...)} of each layer calls this. */
        protected T format(DataFormat dataFormat) {
            this.dataFormat = dataFormat;
            return (T) this;
        }
    }
}
