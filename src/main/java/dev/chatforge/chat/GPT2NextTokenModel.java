package dev.chatforge.chat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Decoder;
import dev.chatforge.model.NativeArrays;
import dev.chatforge.model.Precision;
import java.util.List;

/**
 * Generation's view of a {@link GPT2}: next-token logits, recomputed or through a key/value
 * cache. On the CPU the cached path is {@link GPT2Decoder} (plain Java over a copy of the
 * weights, made at the first session: per-op dispatch would otherwise cost more than a small
 * model's arithmetic); on a GPU it is the model's own {@link GPT2.KVCache}. Each tensor call works
 * in its own sub-manager, closed before returning, so native memory stays flat however many
 * tokens are generated.
 */
public final class GPT2NextTokenModel implements NextTokenModel {
    private final GPT2 model;
    private final boolean javaDecoder;
    private GPT2Decoder decoder;

    /**
     * The path for the model's precision. fp32: the Java decoder for cached generation when the
     * model is on the CPU and its weights fit in half the Java heap (raise it with
     * {@code CHATFORGE_JAVA_OPTS=-Xmx...}), tensor ops otherwise. bf16: tensor ops over bf16 copies
     * of the weights, which a decoded token reads at half fp32's bytes (a token of a large model is
     * bound by reading its weights) — except for a model narrower than {@link Precision#AUTO_MIN_WIDTH},
     * where per-op dispatch outweighs the arithmetic and the (fp32) Java decoder stays faster.
     * {@code chatforge bench generate} measures every path.
     */
    public GPT2NextTokenModel(GPT2 model) {
        this(model, model.device().getDeviceType().equals(Device.Type.CPU)
                && GPT2Decoder.fitsInHeap(model.config(), Runtime.getRuntime().maxMemory())
                && (model.precision() == Precision.FP32 || model.config().nEmbd() < Precision.AUTO_MIN_WIDTH));
    }

    private GPT2NextTokenModel(GPT2 model, boolean javaDecoder) {
        this.model = model;
        this.javaDecoder = javaDecoder;
        if (!javaDecoder) {
            model.keepBf16Weights(); // bf16: cast once, not at every token (a no-op in fp32)
        }
    }

    /** Whether cached generation runs in the plain-Java decoder (fp32) rather than tensor ops. */
    public boolean usesJavaDecoder() {
        return javaDecoder;
    }

    /**
     * Cached generation through the model's tensor-op {@link GPT2.KVCache} on any device, in the
     * model's precision (benchmarks compare).
     */
    public static GPT2NextTokenModel withTensorCache(GPT2 model) {
        return new GPT2NextTokenModel(model, false);
    }

    @Override
    public int blockSize() {
        return model.config().nPositions();
    }

    @Override
    public float[] nextTokenLogits(int[] tokens) {
        try (NDManager step = model.manager().newSubManager()) {
            return lastRow(model.forward(input(step, tokens), false), tokens.length);
        }
    }

    @Override
    public CachedSession newSession() {
        if (javaDecoder) {
            if (decoder == null) {
                decoder = new GPT2Decoder(model);
            }
            return new JavaSession(decoder.newSession());
        }
        GPT2.KVCache cache = model.newCache();
        return new CachedSession() {
            @Override
            public float[] append(int[] tokens) {
                try (NDManager step = model.manager().newSubManager()) {
                    return lastRow(model.forward(input(step, tokens), cache), tokens.length);
                }
            }

            @Override
            public int length() {
                return cache.length();
            }

            @Override
            public void close() {
                cache.close();
            }
        };
    }

    @Override
    public float[][] appendEach(List<CachedSession> sessions, int[] tokens) {
        if (!javaDecoder || sessions.stream().anyMatch(s -> !(s instanceof JavaSession))) {
            return NextTokenModel.super.appendEach(sessions, tokens);
        }
        GPT2Decoder.Session[] inner = sessions.stream().map(s -> ((JavaSession) s).session).toArray(GPT2Decoder.Session[]::new);
        return decoder.appendEach(inner, tokens);
    }

    /** A session of the Java decoder: heap arrays only, nothing to free. */
    private static final class JavaSession implements CachedSession {
        private final GPT2Decoder.Session session;

        JavaSession(GPT2Decoder.Session session) {
            this.session = session;
        }

        @Override
        public float[] append(int[] tokens) {
            return session.append(tokens);
        }

        @Override
        public int length() {
            return session.length();
        }

        @Override
        public void close() {
            // heap arrays only
        }
    }

    private static NDArray input(NDManager manager, int[] tokens) {
        return NativeArrays.of(manager, tokens, new Shape(1, tokens.length));
    }

    /** Logits (1, T, V) → the last position's row, copied to the heap. */
    private static float[] lastRow(NDArray logits, int t) {
        return logits.get(new NDIndex(0, t - 1)).toFloatArray();
    }
}
