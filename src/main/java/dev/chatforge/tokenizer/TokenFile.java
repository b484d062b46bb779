package dev.chatforge.tokenizer;

import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * A token file opened read-only through memory maps, so a corpus larger than RAM is paged in by
 * the OS as the training loop reads it. Java maps at most 2 GB per buffer, so the file is mapped
 * as several chunks and reads that cross a chunk boundary are split. See {@link TokenFileFormat}
 * for the layout. Thread-safe: reads use absolute positions only.
 */
public final class TokenFile implements TokenSource {
    /** Chunk size of the maps: 1 GiB, a multiple of both element sizes. */
    static final long CHUNK_BYTES = 1L << 30;

    private final Path path;
    private final int vocabSize;
    private final int elementSize;
    private final boolean hasMask;
    private final long tokens;
    private final long chunkBytes;
    private final MappedByteBuffer[] chunks;

    private TokenFile(Path path, int vocabSize, int elementSize, boolean hasMask, long tokens, long chunkBytes,
                      MappedByteBuffer[] chunks) {
        this.path = path;
        this.vocabSize = vocabSize;
        this.elementSize = elementSize;
        this.hasMask = hasMask;
        this.tokens = tokens;
        this.chunkBytes = chunkBytes;
        this.chunks = chunks;
    }

    /**
     * Opens and checks a token file: magic, version, element type, that the size matches the
     * header exactly, and that every id is inside the header's vocabulary (one pass over the
     * file: an id out of range would otherwise train unnoticed until the sampler hits it, then
     * fail in PyTorch naming no file). Any mismatch is a {@link StageInputException} naming the
     * file and problem (and, for an id, its position).
     */
    public static TokenFile open(Path path) {
        return open(path, CHUNK_BYTES);
    }

    static TokenFile open(Path path, long chunkBytes) {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < TokenFileFormat.HEADER_BYTES) {
                throw new StageInputException(path + ": not a chatforge token file: " + size
                        + " bytes, shorter than the " + TokenFileFormat.HEADER_BYTES + "-byte header");
            }
            ByteBuffer header = ByteBuffer.allocate(TokenFileFormat.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (header.hasRemaining() && channel.read(header, header.position()) > 0) {
                // read the whole header
            }
            header.flip();
            byte[] magic = new byte[TokenFileFormat.MAGIC.length];
            header.get(magic);
            if (!Arrays.equals(magic, TokenFileFormat.MAGIC)) {
                throw new StageInputException(path + ": not a chatforge token file (wrong magic number; expected \""
                        + new String(TokenFileFormat.MAGIC, java.nio.charset.StandardCharsets.US_ASCII) + "\")");
            }
            int version = header.getInt();
            if (version != TokenFileFormat.VERSION) {
                throw new StageInputException(path + ": token file format version " + version
                        + ", this chatforge reads version " + TokenFileFormat.VERSION + "; re-run `chatforge tokenize`");
            }
            int vocabSize = header.getInt();
            int elementSize = header.getInt();
            int flags = header.getInt();
            long tokens = header.getLong();
            if (elementSize != TokenFileFormat.UINT16 && elementSize != TokenFileFormat.INT32) {
                throw new StageInputException(path + ": corrupt header: element size " + elementSize + " (expected 2 or 4)");
            }
            if (vocabSize <= 0 || (elementSize == TokenFileFormat.UINT16 && vocabSize > 65_536)) {
                throw new StageInputException(path + ": corrupt header: vocab size " + vocabSize
                        + " with " + elementSize + "-byte ids");
            }
            if (tokens < 0 || (flags & ~TokenFileFormat.FLAG_LOSS_MASK) != 0) {
                throw new StageInputException(path + ": corrupt header: token count " + tokens + ", flags " + flags);
            }
            boolean hasMask = (flags & TokenFileFormat.FLAG_LOSS_MASK) != 0;
            long expected = TokenFileFormat.fileSize(tokens, elementSize, hasMask);
            if (size != expected) {
                throw new StageInputException(path + ": " + (size < expected ? "truncated" : "has trailing bytes") + ": "
                        + size + " bytes, the header (" + tokens + " tokens of " + elementSize + " bytes"
                        + (hasMask ? " plus a loss mask" : "") + ") needs " + expected);
            }
            long body = size - TokenFileFormat.HEADER_BYTES;
            int count = (int) ((body + chunkBytes - 1) / chunkBytes);
            MappedByteBuffer[] chunks = new MappedByteBuffer[count];
            for (int i = 0; i < count; i++) {
                long start = TokenFileFormat.HEADER_BYTES + i * chunkBytes;
                long length = Math.min(chunkBytes, size - start);
                chunks[i] = channel.map(FileChannel.MapMode.READ_ONLY, start, length);
                chunks[i].order(ByteOrder.LITTLE_ENDIAN);
            }
            TokenFile file = new TokenFile(path, vocabSize, elementSize, hasMask, tokens, chunkBytes, chunks);
            file.checkIds();
            return file;
        } catch (NoSuchFileException e) {
            throw new StageInputException(path + ": token file not found; run `chatforge tokenize` first");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + dev.chatforge.io.IoErrors.reason(e), e);
        }
    }

    /** Every id below the vocabulary size (uint16 files of a 65,536 vocabulary cannot hold another). */
    private void checkIds() {
        if (elementSize == TokenFileFormat.UINT16 && vocabSize >= 65_536) {
            return;
        }
        int[] block = new int[1 << 16];
        for (long start = 0; start < tokens; start += block.length) {
            int n = (int) Math.min(block.length, tokens - start);
            int[] ids = n == block.length ? block : new int[n];
            read(start, ids);
            for (int i = 0; i < n; i++) {
                if (ids[i] < 0 || ids[i] >= vocabSize) {
                    throw new StageInputException(path + ": token " + (start + i) + " (of " + tokens + ") has id "
                            + (ids[i] & 0xFFFFFFFFL) + ", outside the vocabulary [0, " + vocabSize
                            + ") of the file's header; the file is corrupt or was not written by `chatforge tokenize`");
                }
            }
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public long size() {
        return tokens;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    /** 2 for uint16 ids, 4 for int32 ids. */
    public int elementSize() {
        return elementSize;
    }

    @Override
    public boolean hasLossMask() {
        return hasMask;
    }

    /** The id at {@code index}. */
    public int get(long index) {
        checkRange(index, 1);
        long offset = index * elementSize;
        ByteBuffer chunk = chunks[(int) (offset / chunkBytes)];
        int at = (int) (offset % chunkBytes);
        return elementSize == TokenFileFormat.UINT16 ? chunk.getShort(at) & 0xFFFF : chunk.getInt(at);
    }

    @Override
    public void read(long start, int[] dst) {
        checkRange(start, dst.length);
        long offset = start * elementSize;
        int i = 0;
        while (i < dst.length) {
            ByteBuffer chunk = chunks[(int) (offset / chunkBytes)];
            int at = (int) (offset % chunkBytes);
            // Chunks are a multiple of the element size, so an element never straddles two.
            int n = (int) Math.min(dst.length - i, (chunkBytes - at) / elementSize);
            if (elementSize == TokenFileFormat.UINT16) {
                for (int k = 0; k < n; k++, at += 2) {
                    dst[i + k] = chunk.getShort(at) & 0xFFFF;
                }
            } else {
                for (int k = 0; k < n; k++, at += 4) {
                    dst[i + k] = chunk.getInt(at);
                }
            }
            i += n;
            offset += (long) n * elementSize;
        }
    }

    @Override
    public void readMask(long start, byte[] dst) {
        checkRange(start, dst.length);
        if (!hasMask) {
            Arrays.fill(dst, (byte) 1);
            return;
        }
        long offset = tokens * elementSize + start;
        int i = 0;
        while (i < dst.length) {
            ByteBuffer chunk = chunks[(int) (offset / chunkBytes)];
            int at = (int) (offset % chunkBytes);
            int n = (int) Math.min(dst.length - i, chunkBytes - at);
            chunk.get(at, dst, i, n);
            i += n;
            offset += n;
        }
    }

    private void checkRange(long start, int length) {
        if (start < 0 || length < 0 || start + length > tokens) {
            throw new IndexOutOfBoundsException("tokens [" + start + ", " + (start + length) + ") of " + tokens
                    + " in " + path);
        }
    }

    @Override
    public String toString() {
        return path + " (" + tokens + " tokens, vocab " + vocabSize + (hasMask ? ", with loss mask)" : ")");
    }
}
