package dev.chatforge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets}}, "__metadata__": {...}}, then the raw tensor
 * bytes. Written by hand so the header carries {@code "format": "pt"}, which
 * {@code transformers} checks, and so reading puts the bytes straight into native memory instead
 * of the Java heap.
 */
public final class SafeTensors {
    private SafeTensors() {}

    /** A tensor as bytes: its safetensors dtype name ("F32", "F16", "BF16"), shape and little-endian data. */
    public record Raw(String dtype, long[] shape, ByteBuffer data) {
        /** The array's own dtype and bytes, copied (valid after the array is closed). */
        public static Raw of(NDArray array) {
            return new Raw(array.getDataType().asSafetensors(), array.getShape().getShape(),
                    array.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
        }

        /**
         * The array's bytes without a copy where it can: on the CPU the buffer is the tensor's own
         * native memory, valid only while the array is open. Copying a 124M model's checkpoint
         * (weights and moments, 1.5 GB) into Java arrays first raised the peak RSS of training by ~1 GB.
         * Only for contiguous arrays (parameters, moments): of another, DJL would make a contiguous
         * copy in the array's manager.
         */
        static Raw view(NDArray array) {
            if (!array.getDevice().equals(ai.djl.Device.cpu())) {
                return of(array);
            }
            return new Raw(array.getDataType().asSafetensors(), array.getShape().getShape(),
                    array.toByteBuffer(true).order(ByteOrder.LITTLE_ENDIAN));
        }

        /**
         * fp32 values rounded to bfloat16 (round to nearest even) in Java: bf16 arrays cannot be
         * made natively on CPUs without bf16 support (DJL-NOTES).
         */
        public static Raw bf16(float[] values, long... shape) {
            ByteBuffer data = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                int bits = Float.floatToRawIntBits(v);
                data.putShort((short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16));
            }
            return new Raw("BF16", shape, data.flip());
        }
    }

    /** Writes {@code tensors} (in map order) to {@code file}. Caller handles atomicity. */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) {
        Map<String, Raw> raw = new LinkedHashMap<>();
        tensors.forEach((name, array) -> raw.put(name, Raw.view(array))); // the arrays outlive the write
        writeRaw(file, raw, metadata);
    }

    /** Writes tensors given as bytes (in map order) to {@code file}. Caller handles atomicity. */
    public static void writeRaw(Path file, Map<String, Raw> tensors, Map<String, String> metadata) {
        ObjectNode header = Json.COMPACT.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        meta.put("format", "pt");
        metadata.forEach(meta::put);
        long offset = 0;
        for (Map.Entry<String, Raw> e : tensors.entrySet()) {
            Raw tensor = e.getValue();
            long bytes = tensor.data().remaining();
            ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", tensor.dtype());
            ArrayNode shape = entry.putArray("shape");
            for (long d : tensor.shape()) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json;
        try {
            json = Json.COMPACT.writeValueAsBytes(header);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int padded = (json.length + 7) / 8 * 8; // spec: data starts 8-byte aligned; pad with spaces
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(out, head);
            for (Raw tensor : tensors.values()) {
                writeFully(out, tensor.data().duplicate());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads every tensor of {@code file} into {@code manager}, in file order. */
    public static Map<String, NDArray> read(Path file, NDManager manager) {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = in.size();
            if (size < 8) {
                throw new StageInputException(file + ": not a safetensors file (" + size + " bytes)");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            in.read(lengthBytes, 0);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength <= 0 || headerLength > Math.min(size - 8, 100_000_000)) {
                throw new StageInputException(file + ": not a safetensors file (header length " + headerLength + ")");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            in.read(headerBytes, 8);
            JsonNode header = Json.MAPPER.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8).trim());
            long dataStart = 8 + headerLength;
            checkLayout(file, header, size - dataStart);
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> fields = header.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (field.getKey().equals("__metadata__")) {
                    continue;
                }
                tensors.put(field.getKey(), tensor(file, field.getKey(), field.getValue(), in, dataStart, manager));
            }
            return tensors;
        } catch (NoSuchFileException e) {
            throw new StageInputException(file + ": not found");
        } catch (IOException e) {
            throw new StageInputException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * The format's rule that the tensors tile the data exactly: sorted by offset, each starts
     * where the previous one ends, and the last ends at the end of the file. Without the check,
     * two tensors with equal {@code data_offsets} would load as one shared weight, silently.
     */
    private static void checkLayout(Path file, JsonNode header, long dataLength) {
        record Span(String name, long begin, long end) {}
        java.util.List<Span> spans = new java.util.ArrayList<>();
        header.fields().forEachRemaining(field -> {
            if (!field.getKey().equals("__metadata__")) {
                JsonNode offsets = field.getValue().path("data_offsets");
                long begin = offsets.path(0).asLong(-1);
                long end = offsets.path(1).asLong(-1);
                if (!offsets.isArray() || offsets.size() != 2 || begin < 0 || end < begin) {
                    throw new StageInputException(file + ": tensor '" + field.getKey() + "' has data_offsets " + offsets
                            + "; expected [begin, end] with 0 <= begin <= end");
                }
                spans.add(new Span(field.getKey(), begin, end));
            }
        });
        spans.sort(java.util.Comparator.comparingLong(Span::begin).thenComparingLong(Span::end));
        Span previous = null;
        for (Span span : spans) {
            long expected = previous == null ? 0 : previous.end();
            if (span.begin() < expected) {
                throw new StageInputException(file + ": tensors '" + previous.name() + "' [" + previous.begin() + ", "
                        + previous.end() + "] and '" + span.name() + "' [" + span.begin() + ", " + span.end()
                        + "] overlap (the format forbids it: they would share weights); the file is corrupt");
            }
            if (span.begin() > expected) {
                throw new StageInputException(file + ": a gap of " + (span.begin() - expected) + " bytes "
                        + (previous == null ? "before the first tensor '" + span.name() + "'"
                                : "between tensors '" + previous.name() + "' and '" + span.name() + "'")
                        + " (the format forbids it); the file is corrupt");
            }
            if (span.end() > dataLength) {
                throw new StageInputException(file + ": tensor '" + span.name() + "' [" + span.begin() + ", " + span.end()
                        + "] runs past the end of the data (" + dataLength + " bytes); the file is truncated or corrupt");
            }
            previous = span;
        }
        long covered = previous == null ? 0 : previous.end();
        if (covered < dataLength) {
            throw new StageInputException(file + ": " + (dataLength - covered) + " bytes after the last tensor"
                    + (previous == null ? "" : " '" + previous.name() + "'")
                    + " belong to no tensor (the format forbids it); the file is corrupt");
        }
    }

    /** One tensor, mapped on its own (a single map is limited to 2 GB; GPT-2 XL is 6 GB). */
    private static NDArray tensor(Path file, String name, JsonNode entry, FileChannel in, long dataStart,
                                  NDManager manager) throws IOException {
        String dtype = entry.path("dtype").asText();
        boolean bf16 = dtype.equals("BF16");
        DataType type;
        try {
            type = bf16 ? DataType.BFLOAT16 : DataType.fromSafetensors(dtype);
        } catch (IllegalArgumentException e) {
            throw new StageInputException(file + ": tensor '" + name + "' has unsupported dtype " + entry.path("dtype"));
        }
        long[] dims = new long[entry.path("shape").size()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = entry.path("shape").get(i).asLong();
        }
        Shape shape = new Shape(dims);
        long begin = entry.path("data_offsets").path(0).asLong(-1);
        long end = entry.path("data_offsets").path(1).asLong(-1);
        if (begin < 0 || dataStart + end > in.size() || end - begin != shape.size() * type.getNumOfBytes()) {
            throw new StageInputException(file + ": tensor '" + name + "' has data_offsets [" + begin + ", " + end
                    + "] that do not fit its shape " + shape + " or the file; the file is truncated or corrupt");
        }
        if (!bf16 && manager.getDevice().equals(ai.djl.Device.cpu())) {
            // Straight from the file into the tensor's own native memory: no mapping (whose pages
            // count as resident until a GC unmaps them) and no second copy.
            NDArray array = manager.create(shape, type);
            if (end > begin) {
                ByteBuffer target = array.toByteBuffer(true);
                for (long at = dataStart + begin; target.hasRemaining(); ) {
                    int n = in.read(target, at);
                    if (n < 0) {
                        throw new StageInputException(file + ": ends inside tensor '" + name + "'; the file is truncated");
                    }
                    at += n;
                }
            }
            array.setName(name);
            return array;
        }
        MappedByteBuffer slice = in.map(FileChannel.MapMode.READ_ONLY, dataStart + begin, end - begin);
        slice.order(ByteOrder.LITTLE_ENDIAN);
        if (bf16) {
            // bf16 arrays abort the JVM on CPUs without native bf16 (DJL-NOTES); bf16 is the top
            // half of an fp32, so widen the bits here and hand PyTorch fp32.
            java.nio.ShortBuffer halves = slice.asShortBuffer();
            ByteBuffer widened = ByteBuffer.allocateDirect(halves.remaining() * 4).order(ByteOrder.nativeOrder());
            while (halves.hasRemaining()) {
                widened.putInt((halves.get() & 0xFFFF) << 16);
            }
            widened.flip();
            NDArray created = manager.create(widened.asFloatBuffer(), shape, DataType.FLOAT32);
            NDArray array = created.duplicate();
            created.close();
            array.setName(name);
            return array;
        }
        // DJL may wrap a direct buffer without copying; the copy makes the tensor own its
        // memory, so it stays valid (and writable) after the read-only mapping goes away.
        NDArray mapped = manager.create(slice, shape, type);
        NDArray array = mapped.duplicate();
        mapped.close();
        array.setName(name);
        return array;
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }
}
