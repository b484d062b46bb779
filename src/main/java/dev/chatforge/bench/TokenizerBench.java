package dev.chatforge.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.chatforge.tokenizer.ChatTemplate;
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
import java.lang.management.ManagementFactory;
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
 * options: --mb N        text size in MB (default 10)
 *          --vocab N     vocabulary to train (default 8192)
 *          --threads N   worker threads (default: the machine's cores)
 *          --repeat N    runs of each measurement in this JVM (default 3; run 1 includes JIT warm-up)
 *          --input F...  real text files instead of the generated English-like text (repeated to size)
 * </pre>
 *
 * Each run reports wall time and process CPU time (on a machine shared with other work the CPU
 * time says more). Training = word counting on all threads + merges. Encoding = what the stage
 * does: read prepared JSONL, render, encode with a fresh tokenizer (empty word cache), write a
 * token file. DJL's plain batch encode of the same text is measured for comparison, and the ids
 * are checked equal to DJL's on a sample of documents.
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
        int repeat = 3;
        List<Path> inputs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--mb" -> mb = Double.parseDouble(args[++i]);
                case "--vocab" -> vocab = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--repeat" -> repeat = Math.max(1, Integer.parseInt(args[++i]));
                case "--input" -> {
                    while (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                        inputs.add(Path.of(args[++i]));
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (options: --mb N, --vocab N, --threads N, --repeat N, --input FILE...)");
            }
        }
        for (Path input : inputs) {
            if (!Files.isRegularFile(input)) {
                throw new dev.chatforge.io.StageInputException(input + ": not found (--input takes text files)");
            }
        }
        long bytes = (long) (mb * 1_000_000);
        List<String> docs = inputs.isEmpty() ? EnglishLikeText.documents(bytes, 42) : fromFiles(inputs, bytes);
        long textBytes = docs.stream().mapToLong(d -> d.getBytes(StandardCharsets.UTF_8).length).sum();
        System.out.printf(Locale.ROOT, "text: %s, %.2f MB in %,d documents; %d threads, vocab %,d%n",
                inputs.isEmpty() ? "generated English-like (EnglishLikeText, seed 42)"
                        : inputs.size() + " file(s) from " + inputs.get(0) + (inputs.size() > 1 ? " on" : ""),
                textBytes / 1e6, docs.size(), threads, vocab);
        List<String> specials = ChatTemplate.SPECIAL_TOKENS;

        BpeTrainer.Result result = null;
        double bestTrain = Double.MAX_VALUE;
        for (int run = 1; run <= repeat; run++) {
            long c0 = cpuNanos();
            long t0 = System.nanoTime();
            WordCounter words = WordCounter.countAll(docs, specials, threads);
            Map<String, Long> counts = words.counts();
            long t1 = System.nanoTime();
            long c1 = cpuNanos();
            result = BpeTrainer.train(counts, vocab, 2, specials);
            long t2 = System.nanoTime();
            long c2 = cpuNanos();
            bestTrain = Math.min(bestTrain, (t2 - t0) / 1e9);
            System.out.printf(Locale.ROOT, "train run %d: %.2f s wall (count words %.2f s, merges %.2f s); process CPU"
                            + " %.2f s (count %.2f s, merges %.2f s); %,d words, %,d distinct; vocab %,d, %,d merges%n",
                    run, (t2 - t0) / 1e9, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (c2 - c0) / 1e9, (c1 - c0) / 1e9,
                    (c2 - c1) / 1e9, words.totalWords(), words.distinctWords(), result.vocab().size(),
                    result.merges().size());
        }

        Path dir = Files.createTempDirectory("chatforge-bench-");
        try {
            Path tokenizerFile = dir.resolve("tokenizer.json");
            Files.write(tokenizerFile, result.toTokenizerJson());
            Path jsonl = dir.resolve("train.jsonl");
            writeJsonl(jsonl, docs);
            double bestEncode = 0;
            for (int run = 1; run <= repeat; run++) {
                try (ChatTokenizer tokenizer = ChatTokenizer.load(tokenizerFile);
                     Progress progress = new Progress("bench encode", Files.size(jsonl), "B")) {
                    long c0 = cpuNanos();
                    long t0 = System.nanoTime();
                    SplitEncoder.Stats stats = new SplitEncoder(tokenizer, ChatTemplate.TURNS, threads, List.of(),
                            tokenizerFile.toString()).encode(jsonl, dir.resolve("train.bin"), progress);
                    long t1 = System.nanoTime();
                    long c1 = cpuNanos();
                    double mbPerS = stats.textBytes() / 1e6 / ((t1 - t0) / 1e9);
                    bestEncode = Math.max(bestEncode, mbPerS);
                    System.out.printf(Locale.ROOT, "encode run %d: %.2f MB/s wall (%.2f s for %.2f MB -> %,d tokens,"
                                    + " %.2f bytes/token; process CPU %.2f s)%n",
                            run, mbPerS, (t1 - t0) / 1e9, stats.textBytes() / 1e6, stats.tokens(),
                            stats.textBytes() / (double) stats.tokens(), (c1 - c0) / 1e9);
                    if (run == repeat) {
                        checkAgainstDjl(tokenizer, tokenizerFile, docs);
                    }
                }
            }
            double djl = djlBatchEncode(tokenizerFile, docs);
            System.out.printf(Locale.ROOT, "summary: train %.2f s (best of %d); encode into token file %.2f MB/s (best of"
                            + " %d; ids equal to DJL's on a sample); DJL batch encode alone %.2f MB/s, %.1fx slower%n",
                    bestTrain, repeat, bestEncode, repeat, djl, bestEncode / djl);
        } finally {
            AtomicFiles.deleteQuietly(dir);
        }
    }

    /** DJL's plain batch encode (256 documents a call) of up to 2 MB of the text, in MB/s. */
    private static double djlBatchEncode(Path tokenizerFile, List<String> docs) throws IOException {
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
            hf.batchEncode(sample.subList(0, Math.min(sample.size(), 16)), false, false); // warm-up
            long t0 = System.nanoTime();
            for (int i = 0; i < sample.size(); i += 256) {
                hf.batchEncode(sample.subList(i, Math.min(sample.size(), i + 256)), false, false);
            }
            double mbPerS = sampleBytes / 1e6 / ((System.nanoTime() - t0) / 1e9);
            System.out.printf(Locale.ROOT, "DJL batch encode alone (256 docs a call): %.2f MB/s on %.2f MB%n", mbPerS,
                    sampleBytes / 1e6);
            return mbPerS;
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
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static void checkAgainstDjl(ChatTokenizer tokenizer, Path file, List<String> docs) throws IOException {
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(file,
                Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
            for (int i = 0; i < docs.size(); i += Math.max(1, docs.size() / 50)) {
                long[] expected = hf.encode(docs.get(i), false, false).getIds();
                int[] ours = tokenizer.encodeWithSpecialTokens(docs.get(i)); // as Hugging Face reads them
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
