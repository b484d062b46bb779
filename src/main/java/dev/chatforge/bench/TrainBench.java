package dev.chatforge.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.eval.Perplexity;
import dev.chatforge.io.AtomicFiles;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageOutput;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.model.Precision;
import dev.chatforge.tokenizer.TokenSource;
import dev.chatforge.train.AdamW;
import dev.chatforge.train.LrSchedule;
import dev.chatforge.train.RandomWindows;
import dev.chatforge.train.RunFolder;
import dev.chatforge.train.TrainOptions;
import dev.chatforge.train.Trainer;
import dev.chatforge.train.TrainerState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code chatforge bench train}: training and evaluation throughput of the real training loop
 * (sampler, forward, backward, clipping, AdamW, per-step managers) on random tokens, resident
 * memory over a long run, and model FLOPs utilisation against the measured peak of a large
 * matrix product on this machine in the precision that ran (fp32's and bf16's peaks are both printed).
 *
 * <pre>
 *   --steps N        training steps of the first config (default 1000; RSS is read at 100 and N)
 *   --large-steps N  training steps of the second config (default 30)
 *   --device D       auto | cpu | gpu (default cpu)
 *   --preset NAME    measure this GPT-2 preset instead of the two configs (e.g. gpt2: 124M, vocab 50,257),
 *                    with --block-size N (default 256) and --batch N (default 4), for --steps (default 10)
 *   --dropout P      dropout everywhere in the measured model (default 0, as pre-training; GPT-2's fine-tuning: 0.1)
 *   --activation A   gelu (default) or gelu_new (what a GPT-2 checkpoint from the Hub uses)
 *   --precision P    auto (default, what train does), fp32 or bf16: the products' number format
 *   --profile FILE   also write PyTorch's profile (Chrome trace JSON: every native op with its shapes and
 *                    time) of two steps after the warm-up, to see where a step's time goes
 * </pre>
 * Configs (as issue 4 asks): n_layer 4, n_head 4, n_embd 128, block 128, batch 16, vocab 2,048;
 * and n_layer 6, n_head 6, n_embd 384, block 256, batch 8, vocab 2,048.
 *
 * <p>RSS includes the Java heap and the malloc arenas: run it through the launcher
 * ({@code ./chatforge bench train}), whose JVM flags and {@code MALLOC_ARENA_MAX} are what users
 * get; the summary records both, so a figure says what it was measured with.
 * The peak is re-measured right before each config, since on a shared machine it moves.
 */
public final class TrainBench {
    private TrainBench() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String[] args) {
        Integer steps = null;
        int largeSteps = 30;
        String device = "cpu";
        String preset = null;
        int blockSize = 256;
        int batch = 4;
        Path profile = null;
        double dropout = 0;
        String activation = "gelu";
        String precision = "auto";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--large-steps" -> largeSteps = Integer.parseInt(args[++i]);
                case "--device" -> device = args[++i];
                case "--preset" -> preset = args[++i];
                case "--block-size" -> blockSize = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--profile" -> profile = Path.of(args[++i]).toAbsolutePath();
                case "--dropout" -> dropout = Double.parseDouble(args[++i]);
                case "--activation" -> activation = args[++i];
                case "--precision" -> precision = args[++i];
                default -> {
                    System.err.println("usage: bench train [--steps N] [--large-steps N] [--device auto|cpu|gpu] "
                            + "[--preset NAME [--block-size N] [--batch N]] [--dropout P] [--activation gelu|gelu_new] "
                            + "[--precision auto|fp32|bf16] [--profile FILE]");
                    return 2;
                }
            }
        }
        Device d = dev.chatforge.model.Devices.resolve(device);
        ObjectNode summary = Json.MAPPER.createObjectNode();
        summary.put("device", d.toString());
        summary.put("threads", System.getProperty("ai.djl.pytorch.num_threads", "default"));
        summary.put("jvm_args", String.join(" ",
                java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()));
        for (String name : new String[] {"MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"}) {
            summary.put(name.toLowerCase(Locale.ROOT).replaceAll("_$", ""), System.getenv().getOrDefault(name, "glibc default"));
        }
        // Whether MKL runs its Intel-tuned kernels here on a non-Intel CPU (see the launcher).
        summary.put("mkl_intel_path_preloaded", dev.chatforge.platform.MklIntelPathShim.loaded());
        ArrayNode configs = summary.putArray("configs");
        // The profile is the one file bench writes where the user says: its own earlier profile is
        // replaced, any other file refused (the rest of bench works in temporary folders it deletes).
        try (StageOutput trace = profile == null ? null : StageOutput.file("bench", profile)
                .recognizedBy(TrainBench::isProfile, "a PyTorch profile").force(true).open()) {
            Path profileTemp = trace == null ? null : trace.path();
            if (preset != null) {
                GPT2Config p = GPT2Config.preset(preset);
                GPT2Config sized = p.withSizes(blockSize, p.nEmbd(), p.nLayer(), p.nHead());
                configs.add(measure(sized.withDropout(dropout).withActivation(activation), batch, steps == null ? 10 : steps, d,
                        precision, profileTemp));
            } else {
                configs.add(measure(GPT2Config.of(2048, 128, 128, 4, 4).withDropout(dropout).withActivation(activation), 16,
                        steps == null ? 1000 : steps, d, precision, null));
                configs.add(measure(GPT2Config.of(2048, 256, 384, 6, 6).withDropout(dropout).withActivation(activation), 8,
                        largeSteps, d, precision, profileTemp));
            }
            if (trace != null) {
                trace.commit();
                System.out.println("profile: " + profile);
            }
        }
        summary.put("peak_rss_mb", peakRssBytes() / 1_000_000);
        try {
            System.out.println(Json.MAPPER.writeValueAsString(summary));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return 0;
    }

    /** Whether {@code file} is a PyTorch profile (Chrome trace JSON), which bench may replace. */
    static boolean isProfile(Path file) {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            String head = new String(in.readNBytes(1 << 16), java.nio.charset.StandardCharsets.UTF_8);
            String start = head.stripLeading();
            // Chrome trace JSON: a list of events (PyTorch's legacy profiler) or {"traceEvents": [...]}
            return start.startsWith("[") && head.contains("\"ph\"") || start.startsWith("{") && head.contains("\"traceEvents\"");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * @param precision auto, fp32 or bf16, resolved for this config as train resolves it
     * @param profile   where to write a PyTorch profile of two steps after the warm-up, or null
     */
    static ObjectNode measure(GPT2Config config, int batch, int steps, Device device, String precision, Path profile) {
        int block = config.nPositions();
        Precision.Choice choice = Precision.resolveForTraining(precision, device, config);
        Precision ran = choice.precision();
        // Both peaks, so a bf16 figure can be read beside fp32's; bf16 only where the hardware has it
        // (emulated it is slower than fp32, and slow to measure) or where it runs.
        boolean measureBf16 = ran == Precision.BF16 || Precision.nativeBf16(device).isPresent();
        double peakBefore = matmulPeakGflops(device, Precision.FP32);
        double bf16PeakBefore = measureBf16 ? matmulPeakGflops(device, Precision.BF16) : Double.NaN;
        System.out.printf(Locale.ROOT, "%nmatmul peak (2048×2048, best of 10): fp32 %.1f GFLOP/s, bf16 %s%n", peakBefore,
                measureBf16 ? String.format(Locale.ROOT, "%.1f GFLOP/s (%.2fx)", bf16PeakBefore, bf16PeakBefore / peakBefore)
                        : "not measured (no native bf16 here)");
        System.out.printf(Locale.ROOT, "%n== n_layer %d, n_head %d, n_embd %d, block %d, batch %d, vocab %d (%.2fM parameters), "
                + "dropout %s, %s, %d steps, precision %s%n", config.nLayer(), config.nHead(), config.nEmbd(), block, batch,
                config.vocabSize(), config.parameterCount() / 1e6, config.residPdrop(), config.activationFunction(), steps,
                choice.describe());
        TokenSource data = randomTokens(2_000_000, config.vocabSize(), 1);
        Path out;
        try {
            out = Files.createTempDirectory("chatforge-bench-");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        long[] stepStart = new long[1];
        long[] timed = {0, 0, 0}; // wall nanos, steps, process CPU nanos; counted after a few warm-up steps
        long[] cpuStart = new long[1];
        int warmup = Math.min(10, steps / 4);
        long[] rss = {0, 0};
        long[] mallocHeap = {0, 0}; // the part of RSS in glibc's main heap (PyTorch's tensors)
        int[] arrays = {0, 0};
        ObjectNode result = Json.MAPPER.createObjectNode();
        try (GPT2 model = GPT2.create(config, device, 1).usePrecision(ran)) {
            TrainOptions options = new TrainOptions(batch, 1, steps, LrSchedule.constant(3e-4), 0.9, 0.95, 1e-8, 0.1,
                    1.0, Integer.MAX_VALUE, Integer.MAX_VALUE);
            try (AdamW adamW = Trainer.newOptimizer(model, options)) {
                stepStart[0] = System.nanoTime();
                new Trainer(model, adamW, TrainerState.start(1, null), options, new RandomWindows(data, block, 1), java.util.List.of(),
                        RunFolder.at(out, null))
                        .onStep(s -> {
                            long now = System.nanoTime();
                            long cpuNow = cpuNanos();
                            boolean profiled = profile != null && s.step() > warmup && s.step() <= warmup + 2;
                            // The last step also writes a checkpoint; profiled steps run slower.
                            if (s.step() > warmup && s.step() < steps && !profiled) {
                                timed[0] += now - stepStart[0];
                                timed[1]++;
                                timed[2] += cpuNow - cpuStart[0];
                            }
                            if (profile != null && s.step() == warmup) {
                                ai.djl.pytorch.jni.JniUtils.startProfile(false, true, false);
                            } else if (profile != null && s.step() == warmup + 2) {
                                ai.djl.pytorch.jni.JniUtils.stopProfile(profile.toString());
                                System.out.println("profiled steps " + (warmup + 1) + "-" + (warmup + 2));
                            }
                            if (s.step() == Math.min(100, steps)) {
                                rss[0] = rssBytes();
                                mallocHeap[0] = mallocHeapBytes();
                                arrays[0] = model.manager().getManagedArrays().size();
                            }
                            if (s.step() == steps - 1) { // before the last step's checkpoint write
                                rss[1] = rssBytes();
                                mallocHeap[1] = mallocHeapBytes();
                                arrays[1] = model.manager().getManagedArrays().size();
                            }
                            stepStart[0] = System.nanoTime();
                            cpuStart[0] = cpuNanos();
                        }).run();
                // What an improving evaluation costs on top of validating: latest/ (weights + AdamW
                // moments) written, best/ made from it.
                Path saveRun = out.resolve("save-bench");
                long t0 = System.nanoTime();
                RunFolder.at(saveRun, null).publish(model, adamW, TrainerState.start(1, null), true);
                double saveSeconds = (System.nanoTime() - t0) / 1e9;
                long saveBytes = folderBytes(saveRun.resolve("latest"));
                result.put("checkpoint_save_s", round(saveSeconds * 100) / 100).put("checkpoint_mb", saveBytes / 1_000_000);
                System.out.printf(Locale.ROOT, "checkpoint save (latest/: weights + optimizer moments, %,d MB; best/ from it): "
                        + "%.2f s%n", saveBytes / 1_000_000, saveSeconds);
            }
            double trainTps = (double) batch * block * timed[1] / (timed[0] / 1e9);
            // Tokens per CPU-second of this process: robust to other processes sharing the cores
            // (with one PyTorch thread it is what one idle core would do).
            double trainPerCpuSecond = (double) batch * block * timed[1] / (timed[2] / 1e9);
            // Evaluation: forward only, no gradients, the same batch shape.
            TokenSource evalData = randomTokens(batch * block * 40 + 1, config.vocabSize(), 2);
            Perplexity.evaluate(model, randomTokens(batch * block * 3 + 1, config.vocabSize(), 3), block, block, batch, null);
            Perplexity.Result r = Perplexity.evaluate(model, evalData, block, block, batch, null);
            double evalTps = (evalData.size() - 1) / r.seconds();
            // nanoGPT's estimate: 6·N + 12·L·T·C FLOPs per trained token, N without position embeddings.
            long n = config.parameterCount() - (long) config.nPositions() * config.nEmbd();
            double flopsPerToken = 6.0 * n + 12.0 * config.nLayer() * block * config.nEmbd();
            // This machine's peak moves by ±10% from minute to minute: MFU is against the higher of the
            // peaks measured before and after the config, so a slow moment does not flatter it.
            double peakAfter = matmulPeakGflops(device, Precision.FP32);
            double fp32Peak = Math.max(peakBefore, peakAfter);
            double bf16PeakAfter = measureBf16 ? matmulPeakGflops(device, Precision.BF16) : Double.NaN;
            double bf16Peak = Math.max(bf16PeakBefore, bf16PeakAfter);
            // MFU against the peak of the precision that ran.
            double peakGflops = ran == Precision.BF16 ? bf16Peak : fp32Peak;
            double mfu = flopsPerToken * trainTps / (peakGflops * 1e9);
            double matmulSeconds = MatmulCeiling.stepSeconds(config, batch, device, ran);
            double ceiling = flopsPerToken * batch * block / matmulSeconds / (peakGflops * 1e9);
            choice.putInto(result);
            result.put("mfu_peak", ran.wireName());
            result.put("fp32_matmul_peak_gflops", round(fp32Peak))
                    .put("fp32_matmul_peak_gflops_before", round(peakBefore)).put("fp32_matmul_peak_gflops_after", round(peakAfter));
            if (measureBf16) {
                result.put("bf16_matmul_peak_gflops", round(bf16Peak)).put("bf16_matmul_peak_gflops_before", round(bf16PeakBefore))
                        .put("bf16_matmul_peak_gflops_after", round(bf16PeakAfter));
            }
            result
                    .put("n_layer", config.nLayer()).put("n_head", config.nHead()).put("n_embd", config.nEmbd())
                    .put("block_size", block).put("batch", batch).put("vocab", config.vocabSize())
                    .put("dropout", config.residPdrop()).put("activation", config.activationFunction())
                    .put("parameters", config.parameterCount()).put("steps", steps)
                    .put("train_tokens_per_sec", Math.round(trainTps))
                    .put("ms_per_step", round(timed[0] / 1e6 / timed[1]))
                    .put("train_tokens_per_cpu_sec", Math.round(trainPerCpuSecond))
                    .put("eval_tokens_per_sec", Math.round(evalTps))
                    .put("mfu_percent", round(100 * mfu))
                    .put("matmul_only_ms_per_step", round(matmulSeconds * 1e3))
                    .put("matmul_only_mfu_percent", round(100 * ceiling));
            System.out.printf(Locale.ROOT, "train %,.0f tok/s (%.1f ms/step; %,.0f tok per CPU-second) | eval %,.0f tok/s | "
                    + "MFU %.1f%% of the %s peak, %.0f GFLOP/s%n", trainTps, timed[0] / 1e6 / timed[1], trainPerCpuSecond, evalTps,
                    100 * mfu, ran.wireName(), peakGflops);
            double stepSeconds = timed[0] / 1e9 / timed[1];
            result.put("matmul_only_share_of_step_percent", round(100 * matmulSeconds / stepSeconds));
            System.out.printf(Locale.ROOT, "the step's matrix products alone (" + ran.wireName() + "), each timed on its own: %.1f ms (%.1f GFLOP; %.0f%% of "
                    + "the step), MFU %.1f%%: the ceiling for everything else getting faster%n", matmulSeconds * 1e3,
                    MatmulCeiling.stepFlops(config, batch) / 1e9, 100 * matmulSeconds / stepSeconds, 100 * ceiling);
            if (steps >= 100) {
                double growth = 100.0 * (rss[1] - rss[0]) / rss[0];
                long heap = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
                result.put("rss_mb_step_100", rss[0] / 1_000_000).put("rss_mb_last_step", rss[1] / 1_000_000)
                        .put("malloc_heap_mb_step_100", mallocHeap[0] / 1_000_000)
                        .put("malloc_heap_mb_last_step", mallocHeap[1] / 1_000_000)
                        .put("rss_growth_percent", round(growth)).put("heap_committed_mb", heap / 1_000_000)
                        .put("model_manager_arrays", arrays[1]).put("model_manager_arrays_step_100", arrays[0]);
                System.out.printf(Locale.ROOT, "RSS %,d MB at step 100, %,d MB at step %d (%+.1f%%; of which glibc's heap "
                        + "%,d -> %,d MB; Java heap committed %,d MB); arrays in the model's manager: %d at step 100, %d at the end%n",
                        rss[0] / 1_000_000, rss[1] / 1_000_000, steps - 1, growth, mallocHeap[0] / 1_000_000,
                        mallocHeap[1] / 1_000_000, heap / 1_000_000, arrays[0], arrays[1]);
            }
        } finally {
            AtomicFiles.deleteQuietly(out);
        }
        return result;
    }

    /** Best of 10 products of two 2048×2048 matrices (2·n³ FLOPs each) in {@code precision}, after 3 untimed ones. */
    static double matmulPeakGflops(Device device, Precision precision) {
        int n = 2048;
        try (NDManager m = NDManager.newBaseManager(device)) {
            double best = MatmulCeiling.bestProductSeconds(m.randomNormal(new Shape(n, n)), m.randomNormal(new Shape(n, n)), 3, 10,
                    precision);
            return 2.0 * n * n * n / best / 1e9;
        }
    }

    static long cpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
    }

    private static final java.util.regex.Pattern MAPPING_HEADER = java.util.regex.Pattern.compile("[0-9a-f]+-[0-9a-f]+ ");

    /** Resident bytes of the [heap] mapping: glibc's main arena, where PyTorch's CPU tensors live. */
    static long mallocHeapBytes() {
        try {
            boolean inHeap = false;
            for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
                if (MAPPING_HEADER.matcher(line).lookingAt()) {
                    inHeap = line.endsWith("[heap]");
                } else if (inHeap && line.startsWith("Rss:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: report 0
        }
        return 0;
    }

    private static long folderBytes(Path dir) {
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    /** The most this process has held resident (VmHWM). */
    static long peakRssBytes() {
        return statusBytes("VmHWM:");
    }

    static long rssBytes() {
        return statusBytes("VmRSS:");
    }

    private static long statusBytes(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: report 0
        }
        return 0;
    }

    static TokenSource randomTokens(int n, int vocab, long seed) {
        int[] tokens = new int[n];
        java.util.Random r = new java.util.Random(seed);
        for (int i = 0; i < n; i++) {
            tokens[i] = r.nextInt(vocab);
        }
        return new TokenSource() {
            public long size() {
                return n;
            }

            public int vocabSize() {
                return vocab;
            }

            public void read(long start, int[] dst) {
                System.arraycopy(tokens, (int) start, dst, 0, dst.length);
            }

            public boolean hasLossMask() {
                return false;
            }

            public void readMask(long start, byte[] dst) {
                java.util.Arrays.fill(dst, (byte) 1);
            }
        };
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
