package dev.chatforge.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.chatforge.io.StageInputException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The format forbids tensors that share bytes, bytes no tensor owns, and offsets past the end. */
class SafeTensorsLayoutTest {
    @TempDir
    Path dir;

    /** Two F32 tensors of 2 values each, with the given offsets, and {@code dataBytes} of data. */
    private Path file(String offsetsA, String offsetsB, int dataBytes) throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" + offsetsA + "},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" + offsetsB + "}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bytes = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(json.length).put(json);
        for (int i = 0; i < dataBytes / 4; i++) {
            bytes.putFloat(i);
        }
        Path file = dir.resolve("model.safetensors");
        Files.write(file, bytes.array());
        return file;
    }

    private String refusal(Path file) {
        try (NDManager manager = NDManager.newBaseManager()) {
            return assertThrows(StageInputException.class, () -> SafeTensors.read(file, manager)).getMessage();
        }
    }

    @Test
    void aWellLaidOutFileLoads() throws Exception {
        Path file = file("[0,8]", "[8,16]", 16);
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> tensors = SafeTensors.read(file, manager);
            assertEquals(3f, tensors.get("b").getFloat(1));
        }
    }

    @Test
    void overlappingTensorsAreRefusedNamingBoth() throws Exception {
        String message = refusal(file("[0,8]", "[0,8]", 8));
        assertTrue(message.startsWith(dir.resolve("model.safetensors").toString()), message);
        assertTrue(message.contains("'a'") && message.contains("'b'") && message.contains("overlap"), message);
    }

    @Test
    void aGapBetweenTensorsIsRefused() throws Exception {
        String message = refusal(file("[0,8]", "[12,20]", 20));
        assertTrue(message.contains("'a'") && message.contains("'b'") && message.contains("gap"), message);
    }

    @Test
    void bytesAfterTheLastTensorOrOffsetsPastTheEndAreRefused() throws Exception {
        String trailing = refusal(file("[0,8]", "[8,16]", 24));
        assertTrue(trailing.contains("'b'") && trailing.contains("8 bytes after"), trailing);
        String past = refusal(file("[0,8]", "[8,16]", 12));
        assertTrue(past.contains("'b'") && past.contains("past the end"), past);
    }
}
