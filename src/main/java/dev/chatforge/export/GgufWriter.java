package dev.chatforge.export;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a GGUF v3 file (llama.cpp's model format, as gguf-py's {@code GGUFWriter} lays it out):
 * <pre>
 *   "GGUF", version 3 (u32), tensor count (u64), key/value count (u64)
 *   key/value pairs: key (u64 length + UTF-8), value type (u32), value
 *   tensor infos: name, dimensions (u32), ne[0..n) (u64; ne[0] is the fastest-varying, the
 *                 reverse of a numpy shape), ggml type (u32), offset in the data section (u64)
 *   zero padding to {@link #ALIGNMENT}, then each tensor's data, each padded to {@link #ALIGNMENT}
 * </pre>
 * All little-endian. Metadata and tensor infos are collected first (they are small); the data is
 * then streamed one tensor at a time from a {@link TensorData}, so memory is bounded by the
 * largest tensor, never the model.
 */
public final class GgufWriter {
    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    public static final int VERSION = 3;
    /** gguf-py's GGUF_DEFAULT_ALIGNMENT; files that use it need no general.alignment key. */
    public static final int ALIGNMENT = 32;

    /** gguf-py's GGUFValueType numbers. */
    public static final int UINT32 = 4;
    public static final int INT32 = 5;
    public static final int FLOAT32 = 6;
    public static final int BOOL = 7;
    public static final int STRING = 8;
    public static final int ARRAY = 9;

    /** A tensor as the header describes it. */
    public record TensorInfo(String name, long[] ne, GgmlType type, long offset) {
        public long elements() {
            long n = 1;
            for (long d : ne) {
                n *= d;
            }
            return n;
        }

        public long bytes() {
            return type.bytes(elements());
        }
    }

    /** The bytes of one tensor, produced when it is written (ggml's layout for its type). */
    public interface TensorData {
        ByteBuffer bytes(TensorInfo tensor) throws IOException;
    }

    private final ByteArrayOutputStream kv = new ByteArrayOutputStream();
    private long kvCount;
    private final List<TensorInfo> tensors = new ArrayList<>();
    private long dataSize;

    public GgufWriter putString(String key, String value) {
        key(key, STRING);
        string(kv, value);
        return this;
    }

    public GgufWriter putUint32(String key, long value) {
        key(key, UINT32);
        u32(kv, value);
        return this;
    }

    public GgufWriter putFloat32(String key, float value) {
        key(key, FLOAT32);
        u32(kv, Float.floatToRawIntBits(value));
        return this;
    }

    public GgufWriter putBool(String key, boolean value) {
        key(key, BOOL);
        kv.write(value ? 1 : 0);
        return this;
    }

    public GgufWriter putStrings(String key, List<String> values) {
        key(key, ARRAY);
        u32(kv, STRING);
        u64(kv, values.size());
        values.forEach(v -> string(kv, v));
        return this;
    }

    public GgufWriter putInt32s(String key, int[] values) {
        key(key, ARRAY);
        u32(kv, INT32);
        u64(kv, values.length);
        for (int v : values) {
            u32(kv, v);
        }
        return this;
    }

    /** Declares the next tensor: {@code ne} in ggml order (fastest-varying first). */
    public TensorInfo addTensor(String name, long[] ne, GgmlType type) {
        TensorInfo info = new TensorInfo(name, ne.clone(), type, dataSize);
        tensors.add(info);
        dataSize = align(dataSize + info.bytes());
        return info;
    }

    public List<TensorInfo> tensors() {
        return List.copyOf(tensors);
    }

    /** Writes the file to {@code out}: the header, then every tensor's data in declaration order. */
    public void write(OutputStream out, TensorData data) throws IOException {
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        u32(header, MAGIC);
        u32(header, VERSION);
        u64(header, tensors.size());
        u64(header, kvCount);
        kv.writeTo(header);
        for (TensorInfo t : tensors) {
            string(header, t.name());
            u32(header, t.ne().length);
            for (long d : t.ne()) {
                u64(header, d);
            }
            u32(header, t.type().id);
            u64(header, t.offset());
        }
        long written = header.size();
        header.writeTo(out);
        written += pad(out, written);
        long dataStart = written;
        byte[] chunk = new byte[1 << 20];
        for (TensorInfo t : tensors) {
            if (written - dataStart != t.offset()) {
                throw new IllegalStateException("tensor " + t.name() + " would start at " + (written - dataStart)
                        + ", its header says " + t.offset());
            }
            ByteBuffer bytes = data.bytes(t).duplicate();
            if (bytes.remaining() != t.bytes()) {
                throw new IllegalStateException("tensor " + t.name() + ": " + bytes.remaining() + " bytes, expected "
                        + t.bytes() + " for " + t.type() + " " + java.util.Arrays.toString(t.ne()));
            }
            while (bytes.hasRemaining()) {
                int n = Math.min(chunk.length, bytes.remaining());
                bytes.get(chunk, 0, n);
                out.write(chunk, 0, n);
            }
            written += t.bytes();
            written += pad(out, written);
        }
    }

    static long align(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    private static long pad(OutputStream out, long position) throws IOException {
        int n = (int) (align(position) - position);
        out.write(new byte[n]);
        return n;
    }

    private void key(String key, int type) {
        string(kv, key);
        u32(kv, type);
        kvCount++;
    }

    private static void string(ByteArrayOutputStream out, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        u64(out, bytes.length);
        out.writeBytes(bytes);
    }

    private static void u32(ByteArrayOutputStream out, long v) {
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
    }

    private static void u64(ByteArrayOutputStream out, long v) {
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }
}
