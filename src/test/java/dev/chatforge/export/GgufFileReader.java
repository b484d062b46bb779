package dev.chatforge.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF reader for tests, written from the format's description (llama.cpp's docs/gguf.md), not
 * from GgufWriter: header, typed key/values, tensor infos, the aligned data section.
 */
final class GgufFileReader {
    record Tensor(String name, long[] ne, int type, long offset) {}

    final int version;
    final Map<String, Object> kv = new LinkedHashMap<>();
    final List<Tensor> tensors = new ArrayList<>();
    final long dataStart;
    final ByteBuffer file;

    GgufFileReader(Path path) throws IOException {
        file = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[4];
        file.get(magic);
        assertEquals("GGUF", new String(magic, StandardCharsets.US_ASCII));
        version = file.getInt();
        long tensorCount = file.getLong();
        long kvCount = file.getLong();
        for (long i = 0; i < kvCount; i++) {
            String key = string();
            kv.put(key, value(file.getInt()));
        }
        for (long i = 0; i < tensorCount; i++) {
            String name = string();
            long[] ne = new long[file.getInt()];
            for (int d = 0; d < ne.length; d++) {
                ne[d] = file.getLong();
            }
            tensors.add(new Tensor(name, ne, file.getInt(), file.getLong()));
        }
        int alignment = kv.containsKey("general.alignment") ? ((Number) kv.get("general.alignment")).intValue() : 32;
        long afterInfos = file.position();
        dataStart = (afterInfos + alignment - 1) / alignment * alignment;
        for (long p = afterInfos; p < dataStart; p++) {
            assertEquals(0, file.get((int) p), "padding before the data section");
        }
    }

    Tensor tensor(String name) {
        return tensors.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no " + name));
    }

    /** A tensor's bytes: {@code length} bytes from its offset in the data section. */
    ByteBuffer data(Tensor t, long length) {
        ByteBuffer slice = file.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        slice.position((int) (dataStart + t.offset()));
        slice.limit((int) (dataStart + t.offset() + length));
        return slice.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    float[] f32(Tensor t) {
        long n = elements(t);
        float[] out = new float[(int) n];
        data(t, n * 4).asFloatBuffer().get(out);
        return out;
    }

    static long elements(Tensor t) {
        long n = 1;
        for (long d : t.ne()) {
            n *= d;
        }
        return n;
    }

    private String string() {
        byte[] bytes = new byte[(int) file.getLong()];
        file.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private Object value(int type) {
        return switch (type) {
            case 0 -> file.get() & 0xFF;
            case 1 -> file.get();
            case 2 -> file.getShort() & 0xFFFF;
            case 3 -> file.getShort();
            case 4 -> file.getInt() & 0xFFFFFFFFL;
            case 5 -> file.getInt();
            case 6 -> file.getFloat();
            case 7 -> file.get() != 0;
            case 8 -> string();
            case 9 -> {
                int elementType = file.getInt();
                long n = file.getLong();
                List<Object> list = new ArrayList<>();
                for (long i = 0; i < n; i++) {
                    list.add(value(elementType));
                }
                yield list;
            }
            case 10 -> file.getLong();
            case 11 -> file.getLong();
            case 12 -> file.getDouble();
            default -> throw new AssertionError("unknown GGUF value type " + type);
        };
    }
}
