package dev.chatforge.bench;

import ai.djl.Device;
import dev.chatforge.chat.GPT2NextTokenModel;
import dev.chatforge.chat.Generator;
import dev.chatforge.chat.NextTokenModel;
import dev.chatforge.chat.Sampler;
import dev.chatforge.chat.StopCondition;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.model.GPT2Decoder;
import dev.chatforge.model.Precision;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * Generation speed with and without the key/value cache: greedy decoding of N tokens (default
 * 200) from a short prompt on a randomly initialised model of the smoke size (preset "tiny":
 * 4 layers, 4 heads, 128 wide, vocab 2,048, with the smoke config's block_size 64), or any
 * preset ({@code --block-size preset} keeps the preset's context). Weights do not
 * change the cost, so no checkpoint is needed. Also checks that both paths gave the same tokens.
 *
 * <pre>
 * java -cp target/chatforge.jar dev.chatforge.bench.GenerateBench [--preset tiny] [--tokens 200]
 *      [--block-size 64|preset] [--prompt-tokens 16] [--repeats 3] [--precision auto|fp32|bf16] [--cached-only]
 * </pre>
 * {@code --cached-only} skips the two paths without a cache (for GPT-2 124M they take minutes).
 * With {@code --precision bf16} (or auto where it resolves to bf16, as for GPT-2 124M on a processor
 * with native bf16) it also measures the cache through tensor ops over bf16 weights, and compares
 * the path generate takes in each precision.
 */
public final class GenerateBench {
    private GenerateBench() {}

    public static void main(String[] args) {
        run(args);
    }

    /** Runs the benchmark and prints one line per path and the speed-up; returns the speed-up (NaN with --cached-only). */
    public static double run(String[] args) {
        String preset = "tiny";
        int tokens = 200;
        int promptTokens = 16;
        int repeats = 3;
        Integer blockSize = 64; // configs/smoke.yaml trains the tiny preset with block_size 64
        String precision = "auto";
        boolean cachedOnly = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--preset" -> preset = args[++i];
                case "--tokens" -> tokens = Integer.parseInt(args[++i]);
                case "--prompt-tokens" -> promptTokens = Integer.parseInt(args[++i]);
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                case "--block-size" -> blockSize = args[++i].equals("preset") ? null : Integer.valueOf(args[i]);
                case "--precision" -> precision = args[++i];
                case "--cached-only" -> cachedOnly = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (options: --preset NAME, --block-size N|preset, --tokens N, --prompt-tokens N, --repeats N, "
                        + "--precision auto|fp32|bf16, --cached-only)");
            }
        }
        GPT2Config presetConfig = GPT2Config.preset(preset);
        GPT2Config config = blockSize == null ? presetConfig : presetConfig.withSizes(blockSize, presetConfig.nEmbd(),
                presetConfig.nLayer(), presetConfig.nHead());
        int[] prompt = new Random(1).ints(promptTokens, 0, config.vocabSize()).toArray();
        System.out.printf(Locale.ROOT, "generate bench: preset %s (n_layer %d, n_head %d, n_embd %d, n_positions %d, vocab %d),"
                        + " %d tokens from a %d-token prompt, greedy, best of %d%n",
                preset, config.nLayer(), config.nHead(), config.nEmbd(), config.nPositions(), config.vocabSize(),
                tokens, promptTokens, repeats);
        try (GPT2 gpt = GPT2.create(config, Device.cpu(), 1)) {
            // What generate and chat use on a CPU: the cache in the plain-Java decoder.
            GPT2NextTokenModel model = new GPT2NextTokenModel(gpt);
            Generator cached = new Generator(model, true);
            Generator uncached = new Generator(model, false);
            // For comparison: the cache as tensor ops through DJL, and the Java decoder recomputing
            // the whole window for every token (the cache's own effect within one engine).
            Generator tensorCached = new Generator(GPT2NextTokenModel.withTensorCache(gpt), true);
            GPT2Decoder decoder = new GPT2Decoder(gpt);
            Generator decoderUncached = new Generator(new RecomputingDecoder(decoder), false);
            Generator[] all = cachedOnly ? new Generator[] {cached, tensorCached}
                    : new Generator[] {cached, uncached, tensorCached, decoderUncached};
            for (Generator g : all) { // warm-up: native initialisation and JIT
                g.generate(prompt, 20, Sampler.greedy(), StopCondition.none(), null, null);
            }
            Generator.Result withCache = best(cached, prompt, tokens, repeats);
            Generator.Result withTensorCache = best(tensorCached, prompt, tokens, repeats);
            report("cache, Java decoder (generate/chat on CPU)", withCache);
            report("cache, tensor ops (generate/chat on GPU)", withTensorCache);
            double speedup = Double.NaN;
            if (cachedOnly) {
                if (!Arrays.equals(withCache.tokens(), withTensorCache.tokens())) {
                    throw new IllegalStateException("the Java decoder and tensor ops decode differently");
                }
            } else {
                Generator.Result without = best(uncached, prompt, tokens, repeats);
                Generator.Result decoderWithout = best(decoderUncached, prompt, tokens, repeats);
                report("no cache, tensor ops (full window each token)", without);
                report("no cache, Java decoder (full window each token)", decoderWithout);
                speedup = withCache.tokensPerSecond() / without.tokensPerSecond();
                boolean same = Arrays.equals(withCache.tokens(), without.tokens())
                        && Arrays.equals(withTensorCache.tokens(), without.tokens())
                        && Arrays.equals(decoderWithout.tokens(), without.tokens());
                System.out.printf(Locale.ROOT, "speed-up of the cache: %.1fx against tensor ops without it (%.1fx with tensor ops "
                                + "for both, %.1fx with the Java decoder for both); same tokens on all four: %s%n", speedup,
                        withTensorCache.tokensPerSecond() / without.tokensPerSecond(),
                        withCache.tokensPerSecond() / decoderWithout.tokensPerSecond(), same);
                if (!same) {
                    throw new IllegalStateException("cached and uncached greedy decoding differ");
                }
            }
            Precision.Choice choice = Precision.resolve(precision, Device.cpu(), config);
            System.out.println("precision " + choice.describe());
            if (choice.precision() == Precision.BF16) {
                boolean fp32Java = model.usesJavaDecoder();
                Generator.Result fp32Path = fp32Java ? withCache : withTensorCache;
                gpt.usePrecision(Precision.BF16);
                Generator bf16Tensor = new Generator(GPT2NextTokenModel.withTensorCache(gpt), true);
                bf16Tensor.generate(prompt, 20, Sampler.greedy(), StopCondition.none(), null, null);
                Generator.Result bf16 = best(bf16Tensor, prompt, tokens, repeats);
                report("cache, tensor ops over bf16 weights", bf16);
                boolean bf16Java = new GPT2NextTokenModel(gpt).usesJavaDecoder();
                Generator.Result bf16Path = bf16Java ? withCache : bf16;
                int agree = 0;
                while (agree < tokens && bf16.tokens()[agree] == withCache.tokens()[agree]) {
                    agree++;
                }
                System.out.printf(Locale.ROOT, "generate/chat in fp32: %s, %.1f tokens/s; in bf16: %s, %.1f tokens/s: bf16 / fp32 "
                                + "= %.2fx (bf16's greedy tokens follow fp32's for the first %d of %d)%n",
                        fp32Java ? "Java decoder" : "tensor ops", fp32Path.tokensPerSecond(),
                        bf16Java ? "Java decoder (fp32)" : "tensor ops over bf16 weights", bf16Path.tokensPerSecond(),
                        bf16Path.tokensPerSecond() / fp32Path.tokensPerSecond(), agree, tokens);
            }
            return speedup;
        }
    }

    /** The Java decoder without a cache: every call runs the whole window through a fresh session. */
    private record RecomputingDecoder(GPT2Decoder decoder) implements NextTokenModel {
        @Override
        public int blockSize() {
            return decoder.config().nPositions();
        }

        @Override
        public float[] nextTokenLogits(int[] tokens) {
            return decoder.newSession().append(tokens);
        }

        @Override
        public CachedSession newSession() {
            throw new UnsupportedOperationException("this model recomputes; it has no cache");
        }
    }

    private static Generator.Result best(Generator generator, int[] prompt, int tokens, int repeats) {
        Generator.Result best = null;
        for (int r = 0; r < repeats; r++) {
            Generator.Result result = generator.generate(prompt, tokens, Sampler.greedy(), StopCondition.none(), null, null);
            if (best == null || result.tokensPerSecond() > best.tokensPerSecond()) {
                best = result;
            }
        }
        return best;
    }

    private static void report(String label, Generator.Result r) {
        System.out.printf(Locale.ROOT, "%-48s %4d tokens in %7.1f ms: %8.1f tokens/s (prompt %.1f ms)%n", label,
                r.tokens().length, (r.prefillNanos() + r.decodeNanos()) / 1e6, r.tokensPerSecond(), r.prefillNanos() / 1e6);
    }
}
