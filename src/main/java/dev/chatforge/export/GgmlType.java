package dev.chatforge.export;

/**
 * The ggml tensor types chatforge writes, with ggml's numbers (gguf-py {@code GGMLQuantizationType})
 * and block layout: a row of {@code ne[0]} values is stored as {@code ne[0] / blockSize} blocks of
 * {@code blockBytes} bytes.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    /** Blocks of 32 values: an fp16 scale, then 32 int8 (gguf-py quants.Q8_0). */
    Q8_0(8, 32, 34);

    public final int id;
    public final int blockSize;
    public final int blockBytes;

    GgmlType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** Bytes of {@code elements} values (a multiple of {@link #blockSize}). */
    public long bytes(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(this + " stores blocks of " + blockSize + " values, got " + elements);
        }
        return elements / blockSize * blockBytes;
    }
}
