package io.github.dl4jtorch.samples.data;

import static io.github.dl4jtorch.samples.data.IdxBytes.IMAGES_MAGIC;
import static io.github.dl4jtorch.samples.data.IdxBytes.LABELS_MAGIC;
import static io.github.dl4jtorch.samples.data.IdxBytes.gzip;
import static io.github.dl4jtorch.samples.data.IdxBytes.idx;
import static io.github.dl4jtorch.samples.data.IdxBytes.images;
import static io.github.dl4jtorch.samples.data.IdxBytes.labels;
import static io.github.dl4jtorch.samples.data.IdxBytes.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeout;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

class IdxReaderTest {

    @TempDir
    Path dir;

    @Test
    void readsRawImagesFile() throws IOException {
        Path file = write(dir.resolve("images"), images(3, 2, 4));
        IdxArray read = IdxReader.read(file, 3);
        assertArrayEquals(new int[] {3, 2, 4}, read.dimensions());
        assertEquals(3, read.count());
        assertEquals(0, read.unsigned(0));
        assertEquals(23, read.unsigned(23));
        assertEquals(file.toString(), read.source());
    }

    @Test
    void readsGzippedFileWhateverItsName() throws IOException {
        Path file = write(dir.resolve("labels-without-gz-suffix"), gzip(labels(25)));
        IdxArray read = IdxReader.read(file, 1);
        assertArrayEquals(new int[] {25}, read.dimensions());
        assertEquals(4, read.unsigned(14));
    }

    @Test
    void readsUnsignedValuesAbove127() throws IOException {
        byte[] content = idx(LABELS_MAGIC, new int[] {2}, new byte[] {(byte) 255, (byte) 128});
        IdxArray read = IdxReader.read(write(dir.resolve("l"), content), 1);
        assertEquals(255, read.unsigned(0));
        assertEquals(128, read.unsigned(1));
    }

    @Test
    void rejectsTruncatedRawFileBeforeReading() throws IOException {
        byte[] whole = images(10, 28, 28);
        Path file = write(dir.resolve("train-images-idx3-ubyte"), Arrays.copyOf(whole, whole.length - 100));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.read(file, 3));
        assertMessage(e, file.toString(), "truncated", "10 x 28 x 28");
    }

    @Test
    void rejectsTruncatedGzipFile() throws IOException {
        byte[] gz = gzip(images(50, 28, 28));
        Path file = write(dir.resolve("images.gz"), Arrays.copyOf(gz, gz.length / 2));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.read(file, 3));
        assertMessage(e, file.toString(), "truncated");
    }

    @Test
    void rejectsGzipWhoseContentIsShorterThanItsHeaderSays() throws IOException {
        byte[] whole = images(10, 28, 28);
        Path file = write(dir.resolve("short.gz"), gzip(Arrays.copyOf(whole, whole.length - 1)));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.read(file, 3));
        assertMessage(e, file.toString(), "truncated", "ends after 7839");
    }

    @Test
    void rejectsCorruptGzipData() throws IOException {
        byte[] gz = gzip(images(50, 28, 28));
        for (int i = 20; i < gz.length - 20; i += 7) {
            gz[i] = (byte) ~gz[i];
        }
        Path file = write(dir.resolve("corrupt.gz"), gz);
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.read(file, 3));
        assertMessage(e, file.toString(), "gzip");
    }

    @Test
    void rejectsEmptyFileAndTruncatedHeader() throws IOException {
        Path empty = write(dir.resolve("empty"), new byte[0]);
        assertMessage(assertThrows(IdxFormatException.class, () -> IdxReader.read(empty, 3)),
                empty.toString(), "header");
        Path halfHeader = write(dir.resolve("half"), Arrays.copyOf(images(1, 2, 2), 9));
        assertMessage(assertThrows(IdxFormatException.class, () -> IdxReader.read(halfHeader, 3)),
                halfHeader.toString(), "header", "dimension sizes");
    }

    @Test
    void rejectsWrongMagicNumber() throws IOException {
        byte[] content = images(2, 2, 2);
        content[0] = 0x12;
        Path file = write(dir.resolve("not-idx"), content);
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.read(file, 3));
        assertMessage(e, file.toString(), "wrong magic number", "0x12000803", "expected 0x00000803", "not an IDX file");
    }

    @Test
    void rejectsLabelsFileWhereImagesAreExpected() throws IOException {
        Path file = write(dir.resolve("labels"), labels(4));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.read(file, 3));
        assertMessage(e, file.toString(), "0x00000801", "1 dimensions", "swapped");
    }

    @Test
    void rejectsValueTypesOtherThanUnsignedByte() throws IOException {
        Path file = write(dir.resolve("floats"), idx(0x00000D01, new int[] {1}, new byte[4]));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.read(file, 1));
        assertMessage(e, file.toString(), "type 0x0D", "unsigned bytes");
    }

    @Test
    void rejectsDataBeyondWhatTheHeaderDescribes() throws IOException {
        byte[] content = idx(IMAGES_MAGIC, new int[] {2, 28, 28}, new byte[3 * 28 * 28]);
        Path raw = write(dir.resolve("raw"), content);
        assertMessage(assertThrows(IdxFormatException.class, () -> IdxReader.read(raw, 3)),
                raw.toString(), "784 bytes follow");
        Path gz = write(dir.resolve("gz"), gzip(content));
        assertMessage(assertThrows(IdxFormatException.class, () -> IdxReader.read(gz, 3)),
                gz.toString(), "more data follows");
    }

    @Test
    void rejectsWrongDimensionsAgainstFileSize() throws IOException {
        // 10 images of 28x28 whose header says 28x29.
        byte[] content = idx(IMAGES_MAGIC, new int[] {10, 28, 29}, new byte[10 * 28 * 28]);
        Path file = write(dir.resolve("dims"), content);
        assertMessage(assertThrows(IdxFormatException.class, () -> IdxReader.read(file, 3)),
                file.toString(), "10 x 28 x 29", "holds only 7840");
    }

    @Test
    void rejectsRawHeaderClaimingHugeSizeWithoutAllocatingIt() throws IOException {
        // 2,000,000 x 28 x 28 = 1.57e9 bytes claimed, 784 present.
        byte[] content = idx(IMAGES_MAGIC, new int[] {2_000_000, 28, 28}, new byte[784]);
        Path file = write(dir.resolve("huge-raw"), content);
        long allocated = allocatedBytesDuring(() -> IdxReader.read(file, 3), "truncated");
        assertTrue(allocated < 64L << 20, "allocated " + allocated + " bytes");
    }

    @Test
    void rejectsGzipHeaderClaimingHugeSizeWithoutAllocatingIt() throws IOException {
        // The uncompressed length of a gzip stream is unknown up front: the reader must grow its
        // buffer only as data arrives, and fail at the end of the stream.
        byte[] content = idx(IMAGES_MAGIC, new int[] {2_000_000, 28, 28}, new byte[784]);
        Path file = write(dir.resolve("huge.gz"), gzip(content));
        long allocated = allocatedBytesDuring(() -> IdxReader.read(file, 3), "truncated");
        assertTrue(allocated < 64L << 20, "allocated " + allocated + " bytes");
    }

    @Test
    void rejectsSizesNoJavaArrayCanHold() throws IOException {
        Path file = write(dir.resolve("too-big"), idx(IMAGES_MAGIC, new int[] {-1, -1, -1}, new byte[0]));
        assertMessage(assertThrows(IdxFormatException.class, () -> IdxReader.read(file, 3)),
                file.toString(), "4294967295", "more than this reader supports");
        Path product = write(dir.resolve("product"), idx(IMAGES_MAGIC, new int[] {100_000, 1000, 1000}, new byte[0]));
        assertMessage(assertThrows(IdxFormatException.class, () -> IdxReader.read(product, 3)),
                product.toString(), "more than this reader can hold");
    }

    @Test
    void readsStreamsOfUnknownLength() throws IOException {
        byte[] content = images(2, 3, 3);
        IdxArray read = IdxReader.read("stream", new ByteArrayInputStream(content), -1, 3);
        assertEquals(17, read.unsigned(17));
        byte[] truncated = Arrays.copyOf(content, content.length - 1);
        assertMessage(assertThrows(IdxFormatException.class,
                () -> IdxReader.read("stream", new ByteArrayInputStream(truncated), -1, 3)),
                "stream", "ends after 17");
    }

    @Test
    void reportsMissingFile() {
        Path missing = dir.resolve("nope");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> IdxReader.read(missing, 1));
        assertTrue(e.getMessage().contains(missing.toString()));
    }

    private static void assertMessage(Exception e, String... fragments) {
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment),
                    "message '" + e.getMessage() + "' lacks '" + fragment + "'");
        }
    }

    /**
     * Runs a read that must fail within seconds with a message containing {@code fragment}, and
     * returns how many bytes this thread allocated meanwhile. (Same thread on purpose, so the
     * allocation counter sees the reader's buffers.)
     */
    private static long allocatedBytesDuring(Executable read, String fragment) {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        IdxFormatException e = assertTimeout(Duration.ofSeconds(10),
                () -> assertThrows(IdxFormatException.class, read));
        long after = threads.getCurrentThreadAllocatedBytes();
        assertMessage(e, fragment);
        return after - before;
    }
}
