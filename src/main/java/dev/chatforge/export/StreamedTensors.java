package dev.chatforge.export;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import dev.chatforge.model.CheckpointWeights;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tensors of a checkpoint folder's safetensors file(s) (one file, or shards with an index),
 * read one at a time into Java floats: only the headers are kept, so memory holds one tensor, never
 * the model (export must stay small beside a model several times the size of the heap it needs).
 * F32, F16 and BF16 are read; names lose a {@code transformer.} prefix (save_pretrained's layout).
 */
public final class StreamedTensors {
    private static final String PREFIX = "transformer.";

    /** Where one tensor's bytes are. */
    public record Entry(Path file, String name, String dtype, long[] shape, long start, long end) {
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    private StreamedTensors() {}

    /** The tensors of {@code dir} (model.safetensors, or the shards its index lists). */
    public static StreamedTensors of(Path dir) {
        StreamedTensors tensors = new StreamedTensors();
        Path index = dir.resolve(CheckpointWeights.INDEX);
        Map<String, String> byTensor = !Files.exists(dir.resolve(CheckpointWeights.SINGLE)) && Files.exists(index)
                ? CheckpointWeights.shardsByTensor(index) : null;
        for (Path file : CheckpointWeights.files(dir)) {
            for (Entry e : header(file)) {
                if (byTensor != null && !file.getFileName().toString().equals(byTensor.get(e.name()))) {
                    continue; // the index decides which shard holds a tensor
                }
                String bare = e.name().startsWith(PREFIX) ? e.name().substring(PREFIX.length()) : e.name();
                tensors.entries.put(bare, e);
            }
        }
        return tensors;
    }

    /** The tensor named {@code name} (without the {@code transformer.} prefix), or null. */
    public Entry get(String name) {
        return entries.get(name);
    }

    public Iterable<String> names() {
        return entries.keySet();
    }

    /** Reads one tensor as floats (F16 and BF16 widened exactly) into a new array. */
    public static float[] read(Entry e) {
        float[] out = new float[checkedCount(e)];
        read(e, out);
        return out;
    }

    private static int checkedCount(Entry e) {
        long count = e.elements();
        if (count > Integer.MAX_VALUE - 8) {
            throw new StageInputException(e.file() + ": tensor '" + e.name() + "' has " + count + " values; export reads "
                    + "one tensor into memory and supports up to 2^31");
        }
        int width = switch (e.dtype()) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> throw new StageInputException(e.file() + ": tensor '" + e.name() + "' has dtype " + e.dtype()
                    + "; export reads F32, F16 and BF16");
        };
        if (e.end() - e.start() != count * width) {
            throw new StageInputException(e.file() + ": tensor '" + e.name() + "' has data_offsets of " + (e.end() - e.start())
                    + " bytes for " + count + " " + e.dtype() + " values; the file is corrupt");
        }
        return (int) count;
    }

    /**
     * Reads one tensor as floats into the start of {@code out} (at least its size): callers reuse
     * one array for every tensor, so the heap holds the largest tensor once.
     */
    public static void read(Entry e, float[] out) {
        checkedCount(e);
        // Read in 1 MB pieces: a whole-tensor heap buffer would make the JDK keep a direct copy of
        // that size per thread.
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel in = FileChannel.open(e.file(), StandardOpenOption.READ)) {
            long at = e.start();
            int i = 0;
            while (at < e.end()) {
                buffer.clear();
                buffer.limit((int) Math.min(buffer.capacity(), e.end() - at));
                while (buffer.hasRemaining()) {
                    int n = in.read(buffer, at + buffer.position());
                    if (n < 0) {
                        throw new StageInputException(e.file() + ": ends inside tensor '" + e.name() + "'; the file is truncated");
                    }
                }
                at += buffer.position();
                buffer.flip();
                switch (e.dtype()) {
                    case "F32" -> {
                        while (buffer.hasRemaining()) {
                            out[i++] = buffer.getFloat();
                        }
                    }
                    case "F16" -> {
                        while (buffer.hasRemaining()) {
                            out[i++] = Half.toFloat(buffer.getShort());
                        }
                    }
                    default -> {
                        while (buffer.hasRemaining()) {
                            out[i++] = Float.intBitsToFloat((buffer.getShort() & 0xFFFF) << 16);
                        }
                    }
                }
            }
        } catch (IOException ex) {
            throw new StageInputException(e.file() + ": cannot read tensor '" + e.name() + "': " + ex.getMessage(), ex);
        }
    }

    private static java.util.List<Entry> header(Path file) {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = in.size();
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            if (size < 8 || in.read(lengthBytes, 0) != 8) {
                throw new StageInputException(file + ": not a safetensors file (" + size + " bytes)");
            }
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength <= 0 || headerLength > Math.min(size - 8, 100_000_000)) {
                throw new StageInputException(file + ": not a safetensors file (header length " + headerLength + ")");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            while (headerBytes.hasRemaining()) {
                if (in.read(headerBytes, 8 + headerBytes.position()) < 0) {
                    throw new StageInputException(file + ": truncated safetensors header");
                }
            }
            JsonNode header = Json.MAPPER.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8).trim());
            long dataStart = 8 + headerLength;
            java.util.List<Entry> out = new java.util.ArrayList<>();
            Iterator<Map.Entry<String, JsonNode>> fields = header.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (field.getKey().equals("__metadata__")) {
                    continue;
                }
                JsonNode v = field.getValue();
                long[] shape = new long[v.path("shape").size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = v.path("shape").get(i).asLong();
                }
                long begin = v.path("data_offsets").path(0).asLong(-1);
                long end = v.path("data_offsets").path(1).asLong(-1);
                if (begin < 0 || end < begin || dataStart + end > size) {
                    throw new StageInputException(file + ": tensor '" + field.getKey() + "' has data_offsets [" + begin + ", "
                            + end + "] outside the file; it is truncated or corrupt");
                }
                out.add(new Entry(file, field.getKey(), v.path("dtype").asText(), shape, dataStart + begin, dataStart + end));
            }
            return out;
        } catch (java.nio.file.NoSuchFileException ex) {
            throw new StageInputException(file + ": not found");
        } catch (IOException ex) {
            throw new StageInputException(file + ": cannot read: " + ex.getMessage(), ex);
        }
    }
}
