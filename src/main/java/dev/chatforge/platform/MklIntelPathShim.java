package dev.chatforge.platform;

import dev.chatforge.io.AtomicFiles;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a tiny Linux x86-64 shared library that defines one function,
 * {@code int mkl_serv_intel_cpu_true(void) { return 1; }}, for the launcher to preload.
 *
 * <p>Why: PyTorch's CPU build links Intel oneMKL for matrix products. On a CPU whose vendor is
 * not Intel, MKL asks {@code mkl_serv_intel_cpu_true()} and, getting 0, runs its generic
 * ("def") sgemm kernels even when the CPU has AVX-512. libtorch_cpu.so exports that function
 * and calls it through its PLT, so a preloaded definition wins and MKL dispatches on the CPU's
 * feature flags alone, as on Intel (AVX-512 kernels where the CPU has AVX-512, AVX2 where it
 * has AVX2). Measured on this project's AMD EPYC machine: the kernels change from
 * {@code mkl_blas_def_sgemm_kernel_0_zen} to {@code mkl_blas_avx512_sgemm_kernel_0_b0} and
 * a training step of the 4/4/128 benchmark model went from 143-154 to 114-126 ms. MKL has no
 * setting for this ({@code MKL_CBWR}, {@code MKL_ENABLE_INSTRUCTIONS} and the old
 * {@code MKL_DEBUG_CPU_TYPE} all leave the generic kernels in place).
 *
 * <p>The library is generated here, byte by byte, rather than compiled, so the project needs no
 * C compiler: an ELF header, three program headers (one read+execute segment, the dynamic
 * section, a non-executable stack), a symbol table with the one function, its name, a SysV
 * hash table for the dynamic linker's lookup, the dynamic section, and six bytes of code
 * ({@code mov eax, 1; ret}). 438 bytes in all.
 */
public final class MklIntelPathShim {
    /** The name the launcher gives the library (in {@code target/native/}). */
    public static final String FILE_NAME = "libchatforge-mkl-intel-path.so";
    /** The function MKL calls to decide whether to use its Intel-tuned kernels. */
    public static final String SYMBOL = "mkl_serv_intel_cpu_true";
    /** {@code mov eax, 1; ret}. */
    static final byte[] CODE = {(byte) 0xb8, 1, 0, 0, 0, (byte) 0xc3};

    private static final int ELF_HEADER = 64;
    private static final int PROGRAM_HEADER = 56;
    private static final int PROGRAM_HEADERS = 3;
    private static final int SYMBOL_SIZE = 24;
    private static final int DYNAMIC_ENTRY = 16;

    // File layout; the one segment maps the whole file at offset 0, so offsets are addresses.
    static final int SYMTAB = ELF_HEADER + PROGRAM_HEADERS * PROGRAM_HEADER;   // 0xe8
    static final int STRTAB = SYMTAB + 2 * SYMBOL_SIZE;                       // 0x118
    private static final byte[] STRINGS = ("\0" + SYMBOL + "\0").getBytes(StandardCharsets.US_ASCII);
    static final int HASH = align8(STRTAB + STRINGS.length);                   // 0x138
    private static final int HASH_SIZE = 5 * 4; // nbucket, nchain, bucket[0], chain[0..1]
    static final int DYNAMIC = align8(HASH + HASH_SIZE);                       // 0x150
    private static final long[][] DYNAMIC_ENTRIES = {
        {4, HASH},          // DT_HASH
        {5, STRTAB},        // DT_STRTAB
        {6, SYMTAB},        // DT_SYMTAB
        {10, STRINGS.length}, // DT_STRSZ
        {11, SYMBOL_SIZE},  // DT_SYMENT
        {0, 0},             // DT_NULL
    };
    static final int TEXT = DYNAMIC + DYNAMIC_ENTRIES.length * DYNAMIC_ENTRY; // 0x1b0
    static final int SIZE = TEXT + CODE.length;

    private MklIntelPathShim() {}

    /** The library's bytes. */
    public static byte[] bytes() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        // ELF header: 64-bit, little-endian, version 1, System V ABI; a shared object for x86-64.
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0}).put(new byte[8]);
        b.putShort((short) 3).putShort((short) 62).putInt(1);     // ET_DYN, EM_X86_64, EV_CURRENT
        b.putLong(0).putLong(ELF_HEADER).putLong(0);              // no entry, phoff, no section headers
        b.putInt(0).putShort((short) ELF_HEADER).putShort((short) PROGRAM_HEADER).putShort((short) PROGRAM_HEADERS);
        b.putShort((short) 64).putShort((short) 0).putShort((short) 0);
        // PT_LOAD (read + execute) of the whole file; PT_DYNAMIC; PT_GNU_STACK (read + write only,
        // or the loader would make the JVM's thread stacks executable).
        programHeader(b, 1, 5, 0, SIZE, 0x1000);
        programHeader(b, 2, 4, DYNAMIC, DYNAMIC_ENTRIES.length * DYNAMIC_ENTRY, 8);
        programHeader(b, 0x6474e551, 6, 0, 0, 16);
        // Symbols: the null symbol, then the global function. Section index 1 only has to be
        // "defined" (not SHN_UNDEF) for the dynamic linker; the file has no section headers.
        b.put(new byte[SYMBOL_SIZE]);
        b.putInt(1).put((byte) 0x12).put((byte) 0).putShort((short) 1).putLong(TEXT).putLong(CODE.length);
        b.put(STRINGS);
        b.position(HASH);
        b.putInt(1).putInt(2).putInt(1).putInt(0).putInt(0);     // one bucket holding symbol 1
        b.position(DYNAMIC);
        for (long[] entry : DYNAMIC_ENTRIES) {
            b.putLong(entry[0]).putLong(entry[1]);
        }
        b.put(CODE);
        return b.array();
    }

    /** Writes the library to {@code target}, atomically (a running process may have the old one mapped). */
    public static void write(Path target) {
        byte[] bytes = bytes();
        AtomicFiles.write(target, out -> out.write(bytes));
    }

    /** Whether this process runs with the library loaded (the launcher preloads it); false off Linux. */
    public static boolean loaded() {
        try {
            return Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(line -> line.endsWith("/" + FILE_NAME));
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    /** {@code java -cp chatforge.jar dev.chatforge.platform.MklIntelPathShim <file>}: used by the launcher. */
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: MklIntelPathShim <output .so file>");
            System.exit(2);
        }
        write(Path.of(args[0]));
    }

    private static void programHeader(ByteBuffer b, int type, int flags, long offset, long size, long align) {
        b.putInt(type).putInt(flags).putLong(offset).putLong(offset).putLong(offset).putLong(size).putLong(size)
                .putLong(align);
    }

    private static int align8(int offset) {
        return (offset + 7) & ~7;
    }
}
