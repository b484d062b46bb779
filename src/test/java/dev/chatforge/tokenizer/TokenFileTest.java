package dev.chatforge.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileTest {
    @TempDir
    Path dir;

    private Path write(String name, int vocab, int[] ids, byte[] mask) {
        Path file = dir.resolve(name);
        try (TokenFileWriter w = new TokenFileWriter(file, vocab, mask != null)) {
            for (int i = 0; i < ids.length; i++) {
                w.write(ids[i], mask == null || mask[i] != 0);
            }
            w.finish();
        }
        return file;
    }

    private static int[] randomIds(int n, int vocab, long seed) {
        Random r = new Random(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = r.nextInt(vocab);
        }
        return ids;
    }

    @Test
    void uint16RoundTripWithMaskAndHeaderLayout() throws IOException {
        int[] ids = randomIds(3000, 65_536, 1);
        ids[0] = 65_535;
        byte[] mask = new byte[ids.length];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = (byte) (i % 3 == 0 ? 1 : 0);
        }
        Path file = write("train.bin", 65_536, ids, mask);
        assertEquals(32 + 3000 * 2 + 3000, Files.size(file));
        ByteBuffer header = ByteBuffer.wrap(Files.readAllBytes(file), 0, 32).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[8];
        header.get(magic);
        assertEquals("CFTOKENS", new String(magic, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(1, header.getInt());
        assertEquals(65_536, header.getInt());
        assertEquals(2, header.getInt());
        assertEquals(1, header.getInt());
        assertEquals(3000L, header.getLong());

        TokenFile tf = TokenFile.open(file);
        assertEquals(3000, tf.size());
        assertEquals(65_536, tf.vocabSize());
        assertTrue(tf.hasLossMask());
        int[] back = new int[ids.length];
        tf.read(0, back);
        assertArrayEquals(ids, back);
        byte[] maskBack = new byte[100];
        tf.readMask(1000, maskBack);
        assertArrayEquals(java.util.Arrays.copyOfRange(mask, 1000, 1100), maskBack);
        assertEquals(ids[2999], tf.get(2999));
        assertThrows(IndexOutOfBoundsException.class, () -> tf.read(2990, new int[11]));
    }

    @Test
    void int32WithoutMaskReadsAcrossChunkBoundaries() {
        int[] ids = randomIds(5000, 100_000, 2);
        Path file = write("val.bin", 100_000, ids, null);
        // 64-byte chunks: every read below crosses several maps, as a >2 GB file would
        TokenFile tf = TokenFile.open(file, 64);
        assertEquals(4, tf.elementSize());
        assertFalse(tf.hasLossMask());
        int[] part = new int[777];
        tf.read(1234, part);
        assertArrayEquals(java.util.Arrays.copyOfRange(ids, 1234, 1234 + 777), part);
        byte[] mask = new byte[50];
        tf.readMask(10, mask);
        for (byte b : mask) {
            assertEquals(1, b);
        }
        TokenFile masked = TokenFile.open(write("m.bin", 300, randomIds(1000, 300, 3), new byte[1000]), 64);
        byte[] zeros = new byte[900];
        masked.readMask(50, zeros);
        for (byte b : zeros) {
            assertEquals(0, b);
        }
    }

    @Test
    void unfinishedWriterLeavesNothing() throws IOException {
        try (TokenFileWriter w = new TokenFileWriter(dir.resolve("x.bin"), 100, true)) {
            w.write(5, true);
        }
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
        try (TokenFileWriter w = new TokenFileWriter(dir.resolve("y.bin"), 100, false)) {
            assertThrows(IllegalArgumentException.class, () -> w.write(100, true));
        }
    }

    @Test
    void wrongMagicVersionAndTruncationNameTheFile() throws IOException {
        Path good = write("good.bin", 1000, randomIds(100, 1000, 4), null);

        Path magic = dir.resolve("magic.bin");
        byte[] bytes = Files.readAllBytes(good);
        bytes[0] = 'X';
        Files.write(magic, bytes);
        StageInputException e = assertThrows(StageInputException.class, () -> TokenFile.open(magic));
        assertTrue(e.getMessage().contains(magic.toString()) && e.getMessage().contains("magic"), e.getMessage());

        Path version = dir.resolve("version.bin");
        bytes = Files.readAllBytes(good);
        bytes[8] = 9;
        Files.write(version, bytes);
        e = assertThrows(StageInputException.class, () -> TokenFile.open(version));
        assertTrue(e.getMessage().contains(version.toString()) && e.getMessage().contains("version 9"), e.getMessage());

        Path truncated = dir.resolve("truncated.bin");
        Files.copy(good, truncated);
        try (RandomAccessFile f = new RandomAccessFile(truncated.toFile(), "rw")) {
            f.setLength(f.length() - 3);
        }
        e = assertThrows(StageInputException.class, () -> TokenFile.open(truncated));
        assertTrue(e.getMessage().contains(truncated.toString()) && e.getMessage().contains("truncated"), e.getMessage());

        Path tiny = dir.resolve("tiny.bin");
        Files.write(tiny, new byte[] {'C', 'F'});
        e = assertThrows(StageInputException.class, () -> TokenFile.open(tiny));
        assertTrue(e.getMessage().contains(tiny.toString()), e.getMessage());

        e = assertThrows(StageInputException.class, () -> TokenFile.open(dir.resolve("missing.bin")));
        assertTrue(e.getMessage().contains("missing.bin"), e.getMessage());
    }

    /** An id >= vocab (or a negative int32) stops the open, naming the file and the token's position. */
    @Test
    void anIdOutsideTheVocabularyIsFoundAtOpen() throws IOException {
        for (int vocab : new int[] {300, 70_000}) {
            int[] ids = randomIds(200_000, vocab, 5);
            Path file = write("bad-" + vocab + ".bin", vocab, ids, null);
            assertEquals(200_000, TokenFile.open(file).size());
            int elementSize = TokenFile.open(file).elementSize();
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.seek(TokenFileFormat.HEADER_BYTES + 123_457L * elementSize);
                ByteBuffer b = ByteBuffer.allocate(elementSize).order(ByteOrder.LITTLE_ENDIAN);
                if (elementSize == 2) {
                    b.putShort((short) vocab);
                } else {
                    b.putInt(vocab + 5);
                }
                raf.write(b.array());
            }
            StageInputException e = assertThrows(StageInputException.class, () -> TokenFile.open(file));
            assertTrue(e.getMessage().startsWith(file + ": token 123457 (of 200000) has id "), e.getMessage());
            assertTrue(e.getMessage().contains("outside the vocabulary [0, " + vocab + ")"), e.getMessage());
        }
    }
}
