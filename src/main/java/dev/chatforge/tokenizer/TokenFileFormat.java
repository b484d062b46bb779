package dev.chatforge.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * The on-disk layout of a token file ({@code train.bin}, {@code val.bin}), shared by
 * {@link TokenFile} (reader) and {@link TokenFileWriter}. Little-endian throughout:
 *
 * <pre>
 * offset  size  field
 *      0     8  magic "CFTOKENS"
 *      8     4  format version (1)
 *     12     4  vocab size (every id is below it)
 *     16     4  element size in bytes: 2 = uint16 ids, 4 = int32 ids
 *     20     4  flags: bit 0 = a loss mask follows the ids
 *     24     8  token count N
 *     32  N*el  ids
 *      …     N  loss mask, one byte per token (0 or 1), only when flag bit 0 is set
 * </pre>
 *
 * The mask lives in the same file, after the ids, so a token file is self-contained and the
 * ids stay one contiguous array (what a training loop maps). The file size must equal the size
 * the header implies exactly, so a truncated copy is caught at open.
 */
public final class TokenFileFormat {
    private TokenFileFormat() {}

    public static final byte[] MAGIC = "CFTOKENS".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 32;
    public static final int UINT16 = 2;
    public static final int INT32 = 4;
    public static final int FLAG_LOSS_MASK = 1;

    /** uint16 when every id fits in 16 bits (vocab ≤ 65,536), int32 otherwise. */
    public static int elementSizeFor(int vocabSize) {
        return vocabSize <= 65_536 ? UINT16 : INT32;
    }

    /** The exact file size a header implies. */
    public static long fileSize(long tokens, int elementSize, boolean hasMask) {
        return HEADER_BYTES + tokens * elementSize + (hasMask ? tokens : 0);
    }
}
