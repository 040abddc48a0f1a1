package io.github.dl4jtorch.samples.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Builds IDX file contents, well-formed or deliberately broken, for the reader's tests. */
final class IdxBytes {

    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;

    private IdxBytes() {
    }

    /** A header with the given magic number and dimension sizes, followed by {@code data}. */
    static byte[] idx(int magic, int[] dimensions, byte[] data) {
        ByteBuffer buffer = ByteBuffer.allocate(4 + 4 * dimensions.length + data.length);
        buffer.putInt(magic);
        for (int size : dimensions) {
            buffer.putInt(size);
        }
        buffer.put(data);
        return buffer.array();
    }

    /** {@code count} images of {@code rows x columns} whose pixel values count up from 0. */
    static byte[] images(int count, int rows, int columns) {
        byte[] pixels = new byte[count * rows * columns];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) i;
        }
        return idx(IMAGES_MAGIC, new int[] {count, rows, columns}, pixels);
    }

    /** Labels 0, 1, ..., 9, 0, 1, ... */
    static byte[] labels(int count) {
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) (i % 10);
        }
        return idx(LABELS_MAGIC, new int[] {count}, labels);
    }

    static byte[] gzip(byte[] content) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static Path write(Path file, byte[] content) throws IOException {
        return Files.write(file, content);
    }
}
