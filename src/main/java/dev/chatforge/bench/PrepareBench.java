package dev.chatforge.bench;

import dev.chatforge.data.InputSpec;
import dev.chatforge.data.PrepareConfig;
import dev.chatforge.data.PrepareStage;
import dev.chatforge.io.AtomicFiles;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Throughput of the prepare stage on JSONL: writes a synthetic dialogue file (pairs and
 * multi-turn, ~3% non-ASCII, ~2% duplicates) into a temporary folder, runs the whole stage on
 * it with the default config, and reports MB of input per second, end to end (JVM already
 * started, JIT not warmed up: what a user running {@code chatforge prepare} sees).
 *
 * <p>Usage: {@code PrepareBench [MB | FILE.jsonl]}: the size of the synthetic file (default 200),
 * or an existing JSONL file to time instead.
 */
public final class PrepareBench {
    private PrepareBench() {}

    private static final String[] WORDS = ("order refund password shipping invoice the a to my your is was can you please "
            + "thank help account card delivery package arrived yesterday tomorrow week email address number tracking "
            + "return item broken replace subscription cancel premium plan discount code coupon warehouse courier "
            + "payment declined bank charge twice statement balance store online customer support agent reply "
            + "sorry happy glad certainly of course let me check that for it will be there within business days").split(" ");
    private static final String[] ACCENTED = {"café", "naïve", "résumé", "Zoë", "ﬁle", "Ｆｕｌｌ", "über", "São Paulo"};

    public static void main(String[] args) {
        run(args);
    }

    /** Runs the benchmark and returns the measured MB/s (also printed on stdout). */
    public static double run(String[] args) {
        Path given = args.length > 0 && !args[0].matches("\\d+") ? Path.of(args[0]) : null;
        int megabytes = args.length > 0 && given == null ? Integer.parseInt(args[0]) : 200;
        Path dir;
        try {
            dir = Files.createTempDirectory("chatforge-bench-prepare");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Path input = given != null ? given : dir.resolve("dialogues.jsonl");
            if (given == null) {
                generate(input, megabytes * 1_000_000L);
            }
            long bytes = Files.size(input);
            double loadAverage = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            PrepareConfig config = PrepareConfig.of(dir.resolve("prepared"), InputSpec.of(input.toString()));
            long cpuStart = processCpuNanos();
            long start = System.nanoTime();
            PrepareStage.Result result = PrepareStage.run(config, false);
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
            double rate = bytes / 1e6 / seconds;
            // Wall time depends on what else the machine runs; CPU time shows the work the stage itself does.
            System.out.printf(Locale.ROOT, "prepare bench: %.1f MB of JSONL, %d records (%d kept, %d dropped) in %.2f s: %.1f MB/s "
                            + "on %d cores (%.2f CPU-s, load average %.1f at the start)%n", bytes / 1e6, result.seen(),
                    result.train() + result.val(), result.dropped(), seconds, rate,
                    Runtime.getRuntime().availableProcessors(), cpuSeconds, loadAverage);
            return rate;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            AtomicFiles.deleteQuietly(dir);
        }
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    /** Writes synthetic JSONL until {@code targetBytes}; returns the number of lines. */
    static long generate(Path file, long targetBytes) throws IOException {
        SplittableRandom random = new SplittableRandom(42);
        long written = 0;
        long lines = 0;
        String previous = null;
        StringBuilder line = new StringBuilder(1024);
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            while (written < targetBytes) {
                line.setLength(0);
                if (previous != null && random.nextInt(50) == 0) {
                    line.append(previous);  // an exact duplicate, for dedup to find
                } else if (random.nextInt(3) == 0) {
                    line.append("{\"messages\":[");
                    int turns = 2 + 2 * random.nextInt(3);
                    for (int t = 0; t < turns; t++) {
                        line.append(t == 0 ? "" : ",").append("{\"role\":\"").append(t % 2 == 0 ? "user" : "assistant")
                                .append("\",\"content\":\"");
                        sentence(line, random, 8 + random.nextInt(40));
                        line.append("\"}");
                    }
                    line.append("]}");
                } else {
                    line.append("{\"user\":\"");
                    sentence(line, random, 6 + random.nextInt(30));
                    line.append("\",\"agent\":\"");
                    sentence(line, random, 15 + random.nextInt(60));
                    line.append("\"}");
                }
                previous = line.toString();
                out.write(previous);
                out.write('\n');
                written += previous.length() + 1;  // ~bytes: nearly all ASCII
                lines++;
            }
        }
        return lines;
    }

    private static void sentence(StringBuilder out, SplittableRandom random, int words) {
        for (int i = 0; i < words; i++) {
            if (i > 0) {
                out.append(random.nextInt(12) == 0 ? ", " : " ");
            }
            if (random.nextInt(100) < 3) {
                out.append(ACCENTED[random.nextInt(ACCENTED.length)]);
            } else {
                out.append(WORDS[random.nextInt(WORDS.length)]);
            }
            if (random.nextInt(40) == 0) {
                out.append(random.nextInt(100_000));
            }
        }
        out.append(random.nextInt(4) == 0 ? "?" : ".");
    }
}
