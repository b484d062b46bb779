package dev.chatforge.platform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MklIntelPathShimTest {

    /** Reads the library the way the dynamic linker does: program headers → dynamic section → hash → symbol. */
    @Test
    void theLibraryExportsTheFunctionAndItReturnsOne() {
        ByteBuffer b = ByteBuffer.wrap(MklIntelPathShim.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x464c457f, b.getInt(0), "ELF magic");
        assertEquals(2, b.get(4), "64-bit");
        assertEquals(1, b.get(5), "little-endian");
        assertEquals(3, b.getShort(16), "a shared object");
        assertEquals(62, b.getShort(18), "x86-64");
        long dynamic = -1;
        boolean stackExecutable = true;
        int phoff = (int) b.getLong(32);
        for (int i = 0; i < b.getShort(56); i++) {
            int ph = phoff + i * b.getShort(54);
            int type = b.getInt(ph);
            int flags = b.getInt(ph + 4);
            if (type == 1) {
                assertEquals(0, b.getLong(ph + 8), "the segment maps the file from its start");
                assertEquals(b.capacity(), b.getLong(ph + 32), "and all of it");
                assertEquals(0, flags & 2, "code segment not writable");
            } else if (type == 2) {
                dynamic = b.getLong(ph + 8);
            } else if (type == 0x6474e551) {
                stackExecutable = (flags & 1) != 0;
            }
        }
        assertTrue(dynamic > 0, "has a dynamic section");
        assertTrue(!stackExecutable, "asks for a non-executable stack");
        long hash = 0, strtab = 0, symtab = 0;
        for (int e = (int) dynamic; b.getLong(e) != 0; e += 16) {
            long tag = b.getLong(e), value = b.getLong(e + 8);
            if (tag == 4) hash = value;
            if (tag == 5) strtab = value;
            if (tag == 6) symtab = value;
        }
        // SysV hash lookup of the name, as ld.so does it.
        int nbucket = b.getInt((int) hash);
        int index = b.getInt((int) hash + 8 + 4 * (int) (sysvHash(MklIntelPathShim.SYMBOL) % nbucket));
        int sym = (int) symtab + 24 * index;
        assertEquals(MklIntelPathShim.SYMBOL, string(b, (int) strtab + b.getInt(sym)));
        assertEquals(0x12, b.get(sym + 4), "a global function");
        assertTrue(b.getShort(sym + 6) != 0, "defined here, not undefined");
        byte[] code = new byte[(int) b.getLong(sym + 16)];
        b.get((int) b.getLong(sym + 8), code);
        assertArrayEquals(new byte[] {(byte) 0xb8, 1, 0, 0, 0, (byte) 0xc3}, code, "mov eax, 1; ret");
    }

    /**
     * The point of the library, end to end: a JVM started with it preloaded does a PyTorch matrix
     * product, and the dynamic linker's trace shows libtorch_cpu's call of MKL's CPU check bound to
     * our function (so MKL chooses its kernels by CPU features, as on an Intel CPU).
     */
    @Test
    void pytorchsMklCallsTheFunctionWhenTheLibraryIsPreloaded(@TempDir Path dir) throws Exception {
        assumeTrue(System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64"),
                "the library is for Linux x86-64");
        Path shim = dir.resolve(MklIntelPathShim.FILE_NAME);
        MklIntelPathShim.write(shim);
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), MatMulProbe.class.getName())
                .redirectErrorStream(true);
        pb.environment().put("LD_PRELOAD", shim.toString());
        pb.environment().put("LD_DEBUG", "bindings");
        pb.environment().put("LD_DEBUG_OUTPUT", dir.resolve("ld").toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("262144.0"), out);
        assertTrue(out.contains("shim loaded: true"), out);
        assertTrue(!out.contains("cannot be preloaded"), out);
        List<String> bindings = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("ld.")).toList()) {
                try (Stream<String> lines = Files.lines(f, StandardCharsets.ISO_8859_1)) {
                    lines.filter(l -> l.contains("`" + MklIntelPathShim.SYMBOL + "'")).forEach(bindings::add);
                }
            }
        }
        assertTrue(bindings.stream().anyMatch(l -> l.contains("libtorch_cpu.so") && l.contains(" to " + shim)),
                "no binding of libtorch_cpu's " + MklIntelPathShim.SYMBOL + " to " + shim + ": " + bindings);
    }

    private static long sysvHash(String name) {
        long h = 0;
        for (byte c : name.getBytes(StandardCharsets.US_ASCII)) {
            h = (h << 4) + (c & 0xff);
            long g = h & 0xf0000000L;
            if (g != 0) {
                h ^= g >>> 24;
            }
            h &= ~g;
        }
        return h;
    }

    private static String string(ByteBuffer b, int offset) {
        int end = offset;
        while (b.get(end) != 0) {
            end++;
        }
        byte[] s = new byte[end - offset];
        b.get(offset, s);
        return new String(s, StandardCharsets.US_ASCII);
    }
}
