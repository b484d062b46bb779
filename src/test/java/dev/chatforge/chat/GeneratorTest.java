package dev.chatforge.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class GeneratorTest {

    /**
     * A model whose logits depend on every token it attends to and on their positions, so any
     * difference in what the cached and uncached paths feed it changes the output.
     */
    static class WindowHashModel implements NextTokenModel {
        final int vocab;
        final int context;
        int sessionsOpened;
        int sessionsClosed;

        WindowHashModel(int vocab, int context) {
            this.vocab = vocab;
            this.context = context;
        }

        @Override
        public int blockSize() {
            return context;
        }

        @Override
        public float[] nextTokenLogits(int[] tokens) {
            if (tokens.length > context) {
                throw new AssertionError("fed " + tokens.length + " tokens, context is " + context);
            }
            long h = 17;
            for (int i = 0; i < tokens.length; i++) {
                h = h * 1_000_003 + tokens[i] * 31L + i;
            }
            float[] logits = new float[vocab];
            java.util.Random r = new java.util.Random(h);
            for (int i = 0; i < vocab; i++) {
                logits[i] = (float) r.nextGaussian();
            }
            return logits;
        }

        @Override
        public CachedSession newSession() {
            sessionsOpened++;
            List<Integer> cached = new ArrayList<>();
            return new CachedSession() {
                @Override
                public float[] append(int[] tokens) {
                    for (int t : tokens) {
                        cached.add(t);
                    }
                    return nextTokenLogits(cached.stream().mapToInt(Integer::intValue).toArray());
                }

                @Override
                public int length() {
                    return cached.size();
                }

                @Override
                public void close() {
                    sessionsClosed++;
                }
            };
        }
    }

    @Test
    void cachedAndUncachedGiveTheSameTokensAcrossContextShifts() {
        WindowHashModel model = new WindowHashModel(13, 8);
        int[] prompt = {1, 2, 3};
        for (Sampler[] pair : new Sampler[][] {
                {Sampler.greedy(), Sampler.greedy()},
                {new Sampler(0.9, 5, 0.9, 3), new Sampler(0.9, 5, 0.9, 3)}}) {
            Generator.Result cached = new Generator(model, true).generate(prompt, 40, pair[0], StopCondition.none(), null, null);
            Generator.Result uncached = new Generator(model, false).generate(prompt, 40, pair[1], StopCondition.none(), null, null);
            assertEquals(40, cached.tokens().length);
            assertArrayEquals(uncached.tokens(), cached.tokens());
        }
        assertEquals(model.sessionsOpened, model.sessionsClosed, "every cache is released");
    }

    @Test
    void stopsAtAStopTokenWithoutReturningIt() {
        // Greedy on a model that always prefers token (last + 1) % vocab: counts up to the stop token.
        NextTokenModel counting = new CountingModel(10, 64);
        Generator.Result r = new Generator(counting, true).generate(new int[] {2}, 50, Sampler.greedy(),
                new StopCondition(Set.of(6), List.of()), null, null);
        assertArrayEquals(new int[] {3, 4, 5}, r.tokens());
        assertEquals(Generator.StopReason.STOP_TOKEN, r.stopReason());
    }

    @Test
    void stopsAtAStopStringAndNeverStreamsPartOfIt() {
        NextTokenModel counting = new CountingModel(10, 64);
        // token i decodes to the letter 'a' + i: 3,4,5,6,7 -> "defgh"
        java.util.function.Function<int[], String> decode =
                ids -> Arrays.stream(ids).mapToObj(i -> String.valueOf((char) ('a' + i))).collect(Collectors.joining());
        StringBuilder streamed = new StringBuilder();
        Generator.Result r = new Generator(counting, false).generate(new int[] {2}, 50, Sampler.greedy(),
                new StopCondition(Set.of(), List.of("fgh")), decode, streamed::append);
        assertEquals("de", r.text());
        assertEquals("de", streamed.toString());
        assertEquals(Generator.StopReason.STOP_STRING, r.stopReason());
    }

    @Test
    void stopsAtMaxNewTokens() {
        Generator.Result r = new Generator(new CountingModel(10, 64), true).generate(new int[] {0}, 4,
                Sampler.greedy(), StopCondition.none(), null, null);
        assertArrayEquals(new int[] {1, 2, 3, 4}, r.tokens());
        assertEquals(Generator.StopReason.MAX_TOKENS, r.stopReason());
    }

    /** Prefers (last token + 1) mod vocab. */
    static final class CountingModel extends WindowHashModel {
        CountingModel(int vocab, int context) {
            super(vocab, context);
        }

        @Override
        public float[] nextTokenLogits(int[] tokens) {
            float[] logits = new float[vocab];
            logits[(tokens[tokens.length - 1] + 1) % vocab] = 10;
            return logits;
        }
    }

    /** --print-ids reports each generated token's log-probability under the model's own softmax (unsampled). */
    @Test
    void logProbabilitiesAreTheSoftmaxOfTheLogitsAtEachStep() {
        WindowHashModel model = new WindowHashModel(50, 32);
        Generator.Result result = new Generator(model, true).recordingLogProbs().generate(new int[] {1, 2, 3}, 6,
                new Sampler(0.9, 0, 1.0, 7), StopCondition.none(), null, null);
        int[] context = {1, 2, 3};
        for (int i = 0; i < result.tokens().length; i++) {
            float[] logits = model.nextTokenLogits(context);
            double z = 0;
            for (float l : logits) {
                z += Math.exp(l);
            }
            assertEquals(Math.log(Math.exp(logits[result.tokens()[i]]) / z), result.logProbs()[i], 1e-9);
            context = Arrays.copyOf(context, context.length + 1);
            context[context.length - 1] = result.tokens()[i];
        }
        assertEquals(6, result.logProbs().length);
    }
}
