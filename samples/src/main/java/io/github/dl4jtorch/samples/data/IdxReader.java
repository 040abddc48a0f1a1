package io.github.dl4jtorch.samples.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads unsigned-byte IDX files, the format of the MNIST distribution, raw or gzipped.
 *
 * <p>The reader is strict, because a half-read data set trains a model on the wrong data without
 * anyone noticing: the magic number and the number of dimensions must be the expected ones, the
 * data must be exactly as long as the header says (no less, no more), and gzip streams must be
 * intact. Every failure is an {@link IdxFormatException} naming the file.
 *
 * <p>It also never trusts the header with memory: for a raw file the sizes are checked against the
 * file's length before anything is allocated, and a gzipped file, whose uncompressed length is
 * unknown in advance, is read into a buffer that only grows as real data arrives.
 */
public final class IdxReader {

    /** IDX type code of unsigned bytes, the only type MNIST-style files use. */
    static final int UNSIGNED_BYTE = 0x08;

    /** Largest Java array the JVM reliably allocates. */
    private static final long MAX_VALUES = Integer.MAX_VALUE - 8;

    /** First buffer size for data of unknown length; it doubles while data keeps coming. */
    private static final int FIRST_CHUNK = 1 << 20;

    private static final int GZIP_MAGIC_1 = 0x1f;
    private static final int GZIP_MAGIC_2 = 0x8b;

    private IdxReader() {
    }

    /**
     * Reads an IDX file, raw or gzipped (recognised by its content, not its name).
     *
     * @param file               the file
     * @param expectedDimensions 3 for image files, 1 for label files
     * @return the file's dimensions and values
     * @throws NoSuchFileException if the file does not exist
     * @throws IdxFormatException  if the file is not a well-formed unsigned-byte IDX file of that
     *                             many dimensions
     * @throws IOException         if reading fails for another reason
     */
    public static IdxArray read(Path file, int expectedDimensions) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        try (InputStream in = Files.newInputStream(file)) {
            return read(file.toString(), in, Files.size(file), expectedDimensions);
        }
    }

    /**
     * Reads an IDX stream, raw or gzipped (recognised by its first two bytes).
     *
     * @param source             name of the stream, for error messages
     * @param in                 the stream; read to its end, not closed
     * @param byteCount          the stream's length in bytes if known, otherwise -1
     * @param expectedDimensions 3 for image files, 1 for label files
     * @return the stream's dimensions and values
     * @throws IdxFormatException if the content is not a well-formed unsigned-byte IDX file
     * @throws IOException        if reading fails for another reason
     */
    public static IdxArray read(String source, InputStream in, long byteCount, int expectedDimensions)
            throws IOException {
        BufferedInputStream buffered = new BufferedInputStream(in);
        buffered.mark(2);
        boolean gzipped = buffered.read() == GZIP_MAGIC_1 && buffered.read() == GZIP_MAGIC_2;
        buffered.reset();
        if (!gzipped) {
            return parse(source, buffered, byteCount, expectedDimensions);
        }
        try {
            // The compressed length says nothing reliable about the uncompressed one.
            return parse(source, new GZIPInputStream(buffered, 1 << 16), -1, expectedDimensions);
        } catch (ZipException e) {
            throw new IdxFormatException(source, "corrupt gzip data (" + e.getMessage() + ")", e);
        } catch (EOFException e) {
            throw new IdxFormatException(source, "gzip data ends early: the file is truncated", e);
        }
    }

    private static IdxArray parse(String source, InputStream in, long byteCount, int expectedDimensions)
            throws IOException {
        byte[] magic = readHeaderPart(source, in, 4, "magic number");
        checkMagic(source, magic, expectedDimensions);

        byte[] sizes = readHeaderPart(source, in, 4 * expectedDimensions, "dimension sizes");
        int[] dimensions = new int[expectedDimensions];
        long valueCount = 1;
        for (int i = 0; i < expectedDimensions; i++) {
            long size = bigEndianUnsigned(sizes, 4 * i);
            if (size > Integer.MAX_VALUE) {
                throw new IdxFormatException(source, "header claims " + size + " entries in dimension " + i
                        + ", more than this reader supports");
            }
            dimensions[i] = (int) size;
            valueCount = Math.min(valueCount * size, MAX_VALUES + 1); // saturate, cannot overflow
        }
        String shape = describe(dimensions);
        if (valueCount > MAX_VALUES) {
            throw new IdxFormatException(source, "header claims " + shape
                    + " values, more than this reader can hold in memory (" + MAX_VALUES + ")");
        }

        long headerLength = (long) magic.length + sizes.length;
        if (byteCount >= 0) {
            long available = byteCount - headerLength;
            if (available < valueCount) {
                throw new IdxFormatException(source, "header claims " + shape + " = " + valueCount
                        + " bytes of data, but the file holds only " + available
                        + ": it is truncated or its header is wrong");
            }
            if (available > valueCount) {
                throw new IdxFormatException(source, (available - valueCount)
                        + " bytes follow the " + valueCount + " bytes of data its header (" + shape
                        + ") describes: wrong header or not an IDX file");
            }
        }
        byte[] values = readValues(source, in, (int) valueCount, shape);
        if (in.read() >= 0) {
            throw new IdxFormatException(source, "more data follows the " + valueCount
                    + " bytes its header (" + shape + ") describes: wrong header or not an IDX file");
        }
        return new IdxArray(source, dimensions, values);
    }

    private static void checkMagic(String source, byte[] magic, int expectedDimensions) throws IdxFormatException {
        int type = magic[2] & 0xFF;
        int dimensionCount = magic[3] & 0xFF;
        if (magic[0] == 0 && magic[1] == 0 && type == UNSIGNED_BYTE && dimensionCount == expectedDimensions) {
            return;
        }
        String expected = String.format("0x%08X", (UNSIGNED_BYTE << 8) | expectedDimensions);
        String found = String.format("0x%02X%02X%02X%02X", magic[0], magic[1], magic[2], magic[3]);
        String why;
        if (magic[0] != 0 || magic[1] != 0) {
            why = "not an IDX file";
        } else if (type != UNSIGNED_BYTE) {
            why = String.format("IDX values of type 0x%02X, but only unsigned bytes (0x08) are supported", type);
        } else {
            why = "an IDX file with " + dimensionCount + " dimensions, but " + expectedDimensions
                    + " are expected (3 for images, 1 for labels): images and labels swapped?";
        }
        throw new IdxFormatException(source, "wrong magic number " + found + ", expected " + expected + ": " + why);
    }

    private static byte[] readHeaderPart(String source, InputStream in, int length, String what) throws IOException {
        byte[] part = new byte[length];
        int read = fill(in, part, 0, length);
        if (read < length) {
            throw new IdxFormatException(source, "file ends inside its header (" + what + "): it is empty or truncated");
        }
        return part;
    }

    /** Reads exactly {@code count} values, allocating only as data actually arrives. */
    private static byte[] readValues(String source, InputStream in, int count, String shape) throws IOException {
        byte[] values = new byte[Math.min(count, FIRST_CHUNK)];
        int filled = 0;
        while (filled < count) {
            if (filled == values.length) {
                values = Arrays.copyOf(values, (int) Math.min(count, 2L * values.length));
            }
            int read = fill(in, values, filled, values.length - filled);
            filled += read;
            if (filled < values.length) {
                throw new IdxFormatException(source, "truncated: header claims " + shape + " = " + count
                        + " bytes of data, but the file ends after " + filled);
            }
        }
        return values;
    }

    /** Reads until {@code length} bytes are in or the stream ends; returns how many were read. */
    private static int fill(InputStream in, byte[] buffer, int offset, int length) throws IOException {
        int total = 0;
        while (total < length) {
            int read = in.read(buffer, offset + total, length - total);
            if (read < 0) {
                break;
            }
            total += read;
        }
        return total;
    }

    private static long bigEndianUnsigned(byte[] bytes, int offset) {
        return ((bytes[offset] & 0xFFL) << 24) | ((bytes[offset + 1] & 0xFFL) << 16)
                | ((bytes[offset + 2] & 0xFFL) << 8) | (bytes[offset + 3] & 0xFFL);
    }

    private static String describe(int[] dimensions) {
        return Arrays.stream(dimensions).mapToObj(Integer::toString).collect(Collectors.joining(" x "));
    }
}
