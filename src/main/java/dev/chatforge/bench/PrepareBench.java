package dev.chatforge.bench;

import dev.chatforge.data.CleaningConfig;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Throughput of the prepare stage on JSONL: writes a synthetic dialogue file (pairs and
 * multi-turn, ~3% non-ASCII, ~2% duplicates) into a temporary folder, runs the whole stage on
 * it with the default config, and reports MB of input per second, end to end.
 *
 * <p>Usage: {@code PrepareBench [--redact] [MB | FILE.jsonl]}: the size of the synthetic file
 * (default 200), or an existing JSONL file to time instead. {@code --redact} turns on every
 * content step (redaction of all six kinds, a 200-entry block list of words and phrases that masks, the letter and
 * repetition filters) and plants personal data in about one synthetic record in ten.
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

    /**
     * Runs the benchmark and returns the MB/s of the timed run (also printed on stdout). It runs
     * the stage twice in one JVM: first cold on the first ~10% of the input (what a short run
     * costs while the JIT compiles), then timed on the whole input, which is what a large corpus
     * sees once the JIT has warmed up. Both figures are printed.
     */
    public static double run(String[] arguments) {
        List<String> rest = new ArrayList<>(List.of(arguments));
        boolean redact = rest.remove("--redact");
        String[] args = rest.toArray(String[]::new);
        Path given = args.length > 0 && !args[0].matches("\\d+") ? Path.of(args[0]) : null;
        int megabytes = args.length > 0 && given == null ? Integer.parseInt(args[0]) : 200;
        if (given != null && !Files.isRegularFile(given)) {
            throw new dev.chatforge.io.StageInputException(given + ": not found (bench prepare takes a JSONL file or a "
                    + "size in MB to generate)");
        }
        Path dir;
        try {
            dir = Files.createTempDirectory("chatforge-bench-prepare");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Path input = given != null ? given : dir.resolve("dialogues.jsonl");
            if (given == null) {
                generate(input, megabytes * 1_000_000L, redact);
            }
            CleaningConfig cleaning = redact ? allContentSteps(dir) : CleaningConfig.defaults();
            Path warmUp = dir.resolve("warm-up.jsonl");
            copyPrefix(input, warmUp, Files.size(input) / 10);
            Measured cold = measure(warmUp, dir.resolve("prepared-warm-up"), cleaning);
            Measured timed = measure(input, dir.resolve("prepared"), cleaning);
            if (redact) {
                System.out.println("prepare bench: with redaction (email, phone, card, iban, ip, url), a masking block list "
                        + "and the letter/repetition filters on");
            }
            // Wall time depends on what else the machine runs; CPU time shows the work the stage itself does.
            System.out.printf(Locale.ROOT, "prepare bench: warm-up (cold JIT) %.1f MB in %.2f s: %.1f MB/s (%.2f CPU-s)%n",
                    cold.megabytes(), cold.seconds(), cold.rate(), cold.cpuSeconds());
            System.out.printf(Locale.ROOT, "prepare bench: %.1f MB of JSONL, %d records (%d kept, %d dropped) in %.2f s: %.1f MB/s "
                            + "on %d cores (%.2f CPU-s, load average %.1f at the start)%n", timed.megabytes(), timed.result().seen(),
                    timed.result().train() + timed.result().val(), timed.result().dropped(), timed.seconds(), timed.rate(),
                    Runtime.getRuntime().availableProcessors(), timed.cpuSeconds(), timed.loadAverage());
            return timed.rate();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            AtomicFiles.deleteQuietly(dir);
        }
    }

    private record Measured(PrepareStage.Result result, double megabytes, double seconds, double cpuSeconds, double loadAverage) {
        double rate() {
            return megabytes / seconds;
        }
    }

    /** Every content step on, as a user who cleans customer chats would set them. */
    private static CleaningConfig allContentSteps(Path dir) throws IOException {
        Path blockList = dir.resolve("block-list.txt");
        List<String> entries = new ArrayList<>();
        for (int i = 0; i < 196; i++) {
            entries.add("blockedword" + i);  // never in the corpus: the cost of looking every word up
        }
        // Words and phrases, as block lists usually are. No regular expression: each one scans the whole
        // text at about the speed of all the rest of prepare together (docs/prepare.md).
        entries.addAll(List.of("scam", "scammer", "go away", "free money"));
        Files.write(blockList, entries);
        return CleaningConfig.defaults()
                .withRedact(List.of("email", "phone", "card", "iban", "ip", "url"))
                .withBlockList(blockList.toString(), "mask")
                .withSpamFilters(0.5, 0.5, 0.3);
    }

    private static Measured measure(Path input, Path output, CleaningConfig cleaning) throws IOException {
        double loadAverage = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        PrepareConfig config = PrepareConfig.of(output, InputSpec.of(input.toString())).withCleaning(cleaning);
        long cpuStart = processCpuNanos();
        long start = System.nanoTime();
        PrepareStage.Result result = PrepareStage.run(config, false);
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
        return new Measured(result, Files.size(input) / 1e6, seconds, cpuSeconds, loadAverage);
    }

    /** Copies whole lines from the start of {@code from} until about {@code bytes}. */
    private static void copyPrefix(Path from, Path to, long bytes) throws IOException {
        try (var in = Files.newBufferedReader(from, StandardCharsets.UTF_8);
             BufferedWriter out = Files.newBufferedWriter(to, StandardCharsets.UTF_8)) {
            long copied = 0;
            for (String line; copied < bytes && (line = in.readLine()) != null; ) {
                out.write(line);
                out.write('\n');
                copied += line.length() + 1;
            }
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
        return generate(file, targetBytes, false);
    }

    /** Personal data of each kind, planted into about one record in ten with {@code --redact}. */
    private static final String[] PII = {"jane.doe@example.com", "+44 20 7946 0958", "(555) 123-4567",
            "4111 1111 1111 1111", "5555-5555-5555-4444", "DE89 3704 0044 0532 0130 00", "192.168.1.20",
            "https://shop.example.com/track?order=21265&token=9f8e7d"};

    /** As {@link #generate(Path, long)}, with personal data planted when {@code plantPii}. */
    static long generate(Path file, long targetBytes, boolean plantPii) throws IOException {
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
                    if (plantPii && random.nextInt(10) == 0) {
                        line.append(" My details: ").append(PII[random.nextInt(PII.length)]).append('.');
                    }
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
