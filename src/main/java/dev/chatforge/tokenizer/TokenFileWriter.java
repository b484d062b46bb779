package dev.chatforge.tokenizer;

import dev.chatforge.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Streams ids (and optionally a loss mask) into a token file. Everything goes to a temporary
 * sibling; {@link #finish()} writes the header and renames it into place, so a crash never
 * leaves a file that opens as complete. Closing without {@code finish()} deletes the temporary.
 * The mask is spooled to a second temporary and appended at the end, which keeps the ids one
 * contiguous array without knowing the token count in advance. Not thread-safe.
 */
public final class TokenFileWriter implements AutoCloseable {
    private static final int BUFFER_BYTES = 1 << 20;

    private final Path target;
    private final Path tmp;
    private final Path maskTmp;
    private final int vocabSize;
    private final int elementSize;
    private final boolean withMask;
    private final FileChannel ids;
    private final FileChannel mask;
    private final ByteBuffer idBuffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer maskBuffer;
    private long tokens;
    private boolean done;

    public TokenFileWriter(Path target, int vocabSize, boolean withMask) {
        if (vocabSize <= 0) {
            throw new IllegalArgumentException("vocab size must be > 0, got " + vocabSize);
        }
        this.target = target;
        this.vocabSize = vocabSize;
        this.elementSize = TokenFileFormat.elementSizeFor(vocabSize);
        this.withMask = withMask;
        this.tmp = AtomicFiles.tempSibling(target);
        this.maskTmp = withMask ? AtomicFiles.tempSibling(target.resolveSibling(target.getFileName() + ".mask")) : null;
        try {
            Path parent = target.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            ids = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            ids.position(TokenFileFormat.HEADER_BYTES);
            mask = withMask ? FileChannel.open(maskTmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.READ) : null;
            maskBuffer = withMask ? ByteBuffer.allocateDirect(BUFFER_BYTES) : null;
        } catch (IOException e) {
            AtomicFiles.deleteQuietly(tmp);
            throw new UncheckedIOException("cannot create " + target + ": " + dev.chatforge.io.IoErrors.reason(e), e);
        }
    }

    public Path target() {
        return target;
    }

    public long tokens() {
        return tokens;
    }

    /** Appends {@code len} ids; each is trained on ({@code mask} 1) or not, as given. */
    public void write(int[] src, int off, int len, byte[] maskValues) {
        for (int i = 0; i < len; i++) {
            write(src[off + i], maskValues == null || maskValues[off + i] != 0);
        }
    }

    /** Appends ids that share one mask value. */
    public void write(int[] src, boolean trained) {
        for (int id : src) {
            write(id, trained);
        }
    }

    /** Appends one id; {@code trained} is stored only when the file has a mask. */
    public void write(int id, boolean trained) {
        if (id < 0 || id >= vocabSize) {
            throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + vocabSize + ") for "
                    + target);
        }
        try {
            if (idBuffer.remaining() < elementSize) {
                flush(ids, idBuffer);
            }
            if (elementSize == TokenFileFormat.UINT16) {
                idBuffer.putShort((short) id);
            } else {
                idBuffer.putInt(id);
            }
            if (withMask) {
                if (!maskBuffer.hasRemaining()) {
                    flush(mask, maskBuffer);
                }
                maskBuffer.put(trained ? (byte) 1 : (byte) 0);
            }
            tokens++;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + tmp + ": " + dev.chatforge.io.IoErrors.reason(e), e);
        }
    }

    /** Completes the file (mask, header) and renames it to the target. */
    public void finish() {
        finish(withMask);
    }

    /**
     * Completes the file, storing the spooled mask only when {@code keepMask} (a writer that
     * spooled a mask for a split that turned out to hold only documents drops it).
     */
    public void finish(boolean keepMask) {
        boolean storeMask = withMask && keepMask;
        try {
            flush(ids, idBuffer);
            if (storeMask) {
                flush(mask, maskBuffer);
                long n = mask.size();
                for (long copied = 0; copied < n; ) {
                    copied += mask.transferTo(copied, n - copied, ids);
                }
            }
            ByteBuffer header = ByteBuffer.allocate(TokenFileFormat.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            header.put(TokenFileFormat.MAGIC)
                    .putInt(TokenFileFormat.VERSION)
                    .putInt(vocabSize)
                    .putInt(elementSize)
                    .putInt(storeMask ? TokenFileFormat.FLAG_LOSS_MASK : 0)
                    .putLong(tokens)
                    .flip();
            while (header.hasRemaining()) {
                ids.write(header, header.position());
            }
            ids.force(false);
            closeChannels();
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + dev.chatforge.io.IoErrors.reason(e), e);
        } finally {
            if (maskTmp != null) {
                AtomicFiles.deleteQuietly(maskTmp);
            }
        }
    }

    /** Discards an unfinished file. */
    @Override
    public void close() {
        if (!done) {
            try {
                closeChannels();
            } catch (IOException ignored) {
                // the temporaries are removed below either way
            }
            AtomicFiles.deleteQuietly(tmp);
            if (maskTmp != null) {
                AtomicFiles.deleteQuietly(maskTmp);
            }
        }
    }

    private void closeChannels() throws IOException {
        try {
            ids.close();
        } finally {
            if (mask != null) {
                mask.close();
            }
        }
    }

    private static void flush(FileChannel channel, ByteBuffer buffer) throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        buffer.clear();
    }
}
