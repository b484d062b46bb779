package dev.chatforge.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.chatforge.chat.ChatTemplate;
import dev.chatforge.data.Record;
import dev.chatforge.io.AtomicFiles;
import dev.chatforge.io.Json;
import dev.chatforge.io.Progress;
import dev.chatforge.tokenizer.BpeTrainer;
import dev.chatforge.tokenizer.ChatTokenizer;
import dev.chatforge.tokenizer.SplitEncoder;
import dev.chatforge.tokenizer.WordCounter;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code chatforge bench tokenize}: BPE training speed and encoding throughput into token files.
 *
 * <pre>
 * options: --mb N (text size, default 10)  --vocab N (default 8192)  --threads N (default: cores)
 *          --input FILE... (real text instead of the generated English-like text; repeated to size)
 * </pre>
 *
 * Figures: training (word counting on all threads + merges), the encoder writing a token file
 * from prepared JSONL (parse, render, encode, write: what the stage does), and DJL's plain
 * batch encode of the same text for comparison; ids are checked equal to DJL's on a sample.
 */
public final class TokenizerBench {
    private TokenizerBench() {}

    public static void main(String[] args) throws Exception {
        run(args);
    }

    public static void run(String[] args) throws Exception {
        double mb = 10;
        int vocab = 8192;
        int threads = Runtime.getRuntime().availableProcessors();
        List<Path> inputs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--mb" -> mb = Double.parseDouble(args[++i]);
                case "--vocab" -> vocab = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--input" -> {
                    while (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                        inputs.add(Path.of(args[++i]));
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (options: --mb N, --vocab N, --threads N, --input FILE...)");
            }
        }
        long bytes = (long) (mb * 1_000_000);
        List<String> docs = inputs.isEmpty() ? EnglishLikeText.documents(bytes, 42) : fromFiles(inputs, bytes);
        long textBytes = docs.stream().mapToLong(d -> d.getBytes(StandardCharsets.UTF_8).length).sum();
        System.out.printf(Locale.ROOT, "text: %s, %.2f MB in %,d documents; %d threads, vocab %,d%n",
                inputs.isEmpty() ? "generated English-like (EnglishLikeText, seed 42)"
                        : inputs.size() + " file(s) from " + inputs.get(0) + (inputs.size() > 1 ? " on" : ""),
                textBytes / 1e6, docs.size(), threads, vocab);

        // warm-up on a slice (JIT), then the measured run
        List<String> specials = ChatTemplate.SPECIAL_TOKENS;
        List<String> slice = docs.subList(0, Math.max(1, docs.size() / 10));
        BpeTrainer.train(WordCounter.countAll(slice, specials, threads).counts(), Math.min(vocab, 1024), 2, specials);

        long c0 = cpuNanos();
        long t0 = System.nanoTime();
        WordCounter words = WordCounter.countAll(docs, specials, threads);
        Map<String, Long> counts = words.counts();
        long t1 = System.nanoTime();
        long c1 = cpuNanos();
        BpeTrainer.Result result = BpeTrainer.train(counts, vocab, 2, specials);
        long t2 = System.nanoTime();
        long c2 = cpuNanos();
        System.out.printf(Locale.ROOT, "train: %.2f s wall (count words %.2f s, merges %.2f s); process CPU %.2f s"
                        + " (count %.2f s, merges %.2f s); %,d words, %,d distinct; vocab %,d, %,d merges%n",
                (t2 - t0) / 1e9, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (c2 - c0) / 1e9, (c1 - c0) / 1e9, (c2 - c1) / 1e9,
                words.totalWords(), words.distinctWords(), result.vocab().size(), result.merges().size());

        Path dir = Files.createTempDirectory("chatforge-bench-");
        try {
            Path tokenizerFile = dir.resolve("tokenizer.json");
            Files.write(tokenizerFile, result.toTokenizerJson());
            Path jsonl = dir.resolve("train.jsonl");
            writeJsonl(jsonl, docs);
            Path warmJsonl = dir.resolve("warm.jsonl");
            writeJsonl(warmJsonl, slice);
            // JIT warm-up of the whole path on the slice; the measured run below uses a fresh
            // tokenizer, so its word cache starts empty.
            try (ChatTokenizer warm = ChatTokenizer.load(tokenizerFile);
                 Progress progress = new Progress("bench warm-up", Files.size(warmJsonl), "B")) {
                new SplitEncoder(warm, ChatTemplate.TURNS, threads, List.of(), tokenizerFile.toString())
                        .encode(warmJsonl, dir.resolve("warm.bin"), progress);
            }
            SplitEncoder.Stats stats;
            long e0;
            long e1;
            long ec0;
            long ec1;
            try (ChatTokenizer tokenizer = ChatTokenizer.load(tokenizerFile);
                 Progress progress = new Progress("bench encode", Files.size(jsonl), "B")) {
                ec0 = cpuNanos();
                e0 = System.nanoTime();
                stats = new SplitEncoder(tokenizer, ChatTemplate.TURNS, threads, List.of(), tokenizerFile.toString())
                        .encode(jsonl, dir.resolve("train.bin"), progress);
                e1 = System.nanoTime();
                ec1 = cpuNanos();
                checkAgainstDjl(tokenizer, tokenizerFile, docs);
            }
            System.out.printf(Locale.ROOT, "encode into token file: %.2f MB/s wall (%.2f s for %.2f MB -> %,d tokens,"
                            + " %.2f bytes/token; process CPU %.2f s), ids equal to DJL's on a sample%n",
                    stats.textBytes() / 1e6 / ((e1 - e0) / 1e9), (e1 - e0) / 1e9, stats.textBytes() / 1e6,
                    stats.tokens(), stats.textBytes() / (double) stats.tokens(), (ec1 - ec0) / 1e9);

            // DJL's plain batch encode of (up to) 2 MB, for comparison
            List<String> sample = new ArrayList<>();
            long sampleBytes = 0;
            for (String d : docs) {
                if (sampleBytes >= 2_000_000) {
                    break;
                }
                sample.add(d);
                sampleBytes += d.getBytes(StandardCharsets.UTF_8).length;
            }
            try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(tokenizerFile,
                    Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
                long d0 = System.nanoTime();
                for (int i = 0; i < sample.size(); i += 256) {
                    hf.batchEncode(sample.subList(i, Math.min(sample.size(), i + 256)), false, false);
                }
                long d1 = System.nanoTime();
                double djl = sampleBytes / 1e6 / ((d1 - d0) / 1e9);
                double ours = stats.textBytes() / 1e6 / ((e1 - e0) / 1e9);
                System.out.printf(Locale.ROOT, "DJL batch encode alone (256 docs a call): %.2f MB/s on %.2f MB; the token-file"
                        + " encoder ran %.1fx faster in this run (a ratio that holds when other work loads the machine)%n",
                        djl, sampleBytes / 1e6, ours / djl);
            }
        } finally {
            AtomicFiles.deleteQuietly(dir);
        }
    }

    private static void writeJsonl(Path file, List<String> docs) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < docs.size(); i++) {
                w.write(Json.COMPACT.writeValueAsString(Record.document("d" + i, "bench:" + i, docs.get(i))));
                w.write('\n');
            }
        }
    }

    /** CPU time of the whole process: on a shared machine, wall time alone says little. */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static void checkAgainstDjl(ChatTokenizer tokenizer, Path file, List<String> docs) throws IOException {
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(file,
                Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
            for (int i = 0; i < docs.size(); i += Math.max(1, docs.size() / 50)) {
                long[] expected = hf.encode(docs.get(i), false, false).getIds();
                int[] ours = tokenizer.encode(docs.get(i));
                if (!Arrays.equals(Arrays.stream(expected).mapToInt(l -> (int) l).toArray(), ours)) {
                    throw new IllegalStateException("ids differ from DJL's on document " + i);
                }
            }
        }
    }

    private static List<String> fromFiles(List<Path> files, long bytes) throws IOException {
        StringBuilder all = new StringBuilder();
        for (Path f : files) {
            all.append(Files.readString(f, StandardCharsets.UTF_8)).append("\n\n");
        }
        List<String> docs = new ArrayList<>();
        long total = 0;
        int at = 0;
        while (total < bytes) {
            int end = Math.min(all.length(), at + 4000);
            String d = all.substring(at, end);
            docs.add(d);
            total += d.length();
            at = end == all.length() ? 0 : end;
        }
        return docs;
    }
}
