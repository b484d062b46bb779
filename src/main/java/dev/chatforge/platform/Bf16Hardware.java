package dev.chatforge.platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Whether this processor multiplies bf16 natively, read from the CPU flags in {@code /proc/cpuinfo}:
 * {@code amx_bf16} (Intel's AMX tiles, Sapphire Rapids and later) or {@code avx512_bf16} (AMD Zen 4/5,
 * Intel Cooper Lake and later). Without either, PyTorch emulates bf16 products with fp32 arithmetic
 * plus conversions: slower than fp32 itself.
 */
public final class Bf16Hardware {
    /** The flags that give native bf16 products, the faster first. */
    public static final List<String> FLAGS = List.of("amx_bf16", "avx512_bf16");
    private static final Path CPUINFO = Path.of("/proc/cpuinfo");

    private Bf16Hardware() {}

    /** The best bf16 flag of this CPU, or empty (also where /proc/cpuinfo cannot be read: not Linux). */
    public static Optional<String> cpuFlag() {
        try {
            return flagIn(Files.readString(CPUINFO));
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** The best bf16 flag named in a {@code /proc/cpuinfo} text. */
    static Optional<String> flagIn(String cpuinfo) {
        for (String line : cpuinfo.split("\n")) {
            if (line.startsWith("flags")) {
                List<String> flags = List.of(line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
                return FLAGS.stream().filter(flags::contains).findFirst();
            }
        }
        return Optional.empty();
    }
}
