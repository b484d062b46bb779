package dev.chatforge.bench;

import dev.chatforge.io.AtomicFiles;
import dev.chatforge.io.HashCache;
import dev.chatforge.io.Hashing;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * What checking a token file against its manifest's SHA-256 costs a stage's start: a full hash
 * of a generated file (what the first start pays, MB/s), then the cached lookup (what every later
 * start pays while the file is unchanged).
 */
public final class HashBench {
    private HashBench() {}

    public static void run(String[] args) {
        long megabytes = 1024;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--mb")) {
                megabytes = Long.parseLong(args[++i]);
            } else {
                throw new IllegalArgumentException("unknown option " + args[i] + " (options: --mb N)");
            }
        }
        Path dir;
        try {
            dir = Files.createTempDirectory("chatforge-bench-hash");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Path file = dir.resolve("train.bin");
            byte[] block = new byte[1 << 20];
            new Random(1).nextBytes(block);
            try (OutputStream out = Files.newOutputStream(file)) {
                for (long i = 0; i < megabytes; i++) {
                    out.write(block);
                }
            }
            long t0 = System.nanoTime();
            Hashing.sha256(file);
            double full = (System.nanoTime() - t0) / 1e9;
            HashCache cache = HashCache.in(dir.resolve("cache"));
            cache.hash(file); // fills the entry
            long t1 = System.nanoTime();
            cache.hash(file);
            double cached = (System.nanoTime() - t1) / 1e9;
            System.out.printf(Locale.ROOT, "hash bench: SHA-256 of %,d MB in %.2f s: %.0f MB/s (a stage's first start); "
                    + "cached lookup %.2f ms (later starts)%n", megabytes, full, megabytes * 1.048576 / full, cached * 1e3);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            AtomicFiles.deleteQuietly(dir);
        }
    }
}
