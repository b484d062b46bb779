package dev.chatforge.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Config;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Generation on a real (randomly initialised) GPT-2: the key/value cache changes speed, never tokens. */
class GPT2GenerationTest {
    // A wide initialisation spreads the logits, so argmax ties are not decided by rounding.
    private static final GPT2Config CONFIG = new GPT2Config(61, 16, 32, 2, 2, "gelu", 0, 0, 0, 1e-5, 0.3);
    private static GPT2 gpt;
    private static GPT2NextTokenModel model;

    @BeforeAll
    static void load() {
        gpt = GPT2.create(CONFIG, Device.cpu(), 5);
        model = new GPT2NextTokenModel(gpt);
    }

    @AfterAll
    static void close() {
        gpt.close();
    }

    @Test
    void cachedLogitsEqualAFullForward() {
        assertCachedLogitsEqualAFullForward(model); // on the CPU: the Java decoder
        assertCachedLogitsEqualAFullForward(GPT2NextTokenModel.withTensorCache(gpt)); // the GPU path
    }

    private static void assertCachedLogitsEqualAFullForward(GPT2NextTokenModel model) {
        int[] tokens = {3, 14, 15, 9, 26, 5, 35};
        try (NextTokenModel.CachedSession session = model.newSession()) {
            session.append(new int[] {3, 14, 15});
            for (int n = 4; n <= tokens.length; n++) {
                float[] cached = session.append(new int[] {tokens[n - 1]});
                float[] full = model.nextTokenLogits(java.util.Arrays.copyOf(tokens, n));
                assertArrayEquals(full, cached, 1e-4f, "after " + n + " tokens");
            }
            assertEquals(tokens.length, session.length());
        }
    }

    @Test
    void greedyDecodingGivesTheSameTokensWithAndWithoutCache() {
        // 40 tokens from a 5-token prompt in a 16-position model: the window shifts several times.
        int[] prompt = {1, 2, 3, 4, 5};
        Generator.Result cached = new Generator(model, true).generate(prompt, 40, Sampler.greedy(), StopCondition.none(), null, null);
        Generator.Result uncached = new Generator(model, false).generate(prompt, 40, Sampler.greedy(), StopCondition.none(), null, null);
        assertEquals(40, cached.tokens().length);
        assertArrayEquals(uncached.tokens(), cached.tokens());
    }

    @Test
    void seededSamplingIsReproducibleOnTheModel() {
        int[] prompt = {7, 8};
        int[] a = new Generator(model, true).generate(prompt, 20, new Sampler(1.0, 10, 0.9, 11), StopCondition.none(), null, null).tokens();
        int[] b = new Generator(model, true).generate(prompt, 20, new Sampler(1.0, 10, 0.9, 11), StopCondition.none(), null, null).tokens();
        assertArrayEquals(a, b);
    }
}
