package dev.chatforge.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.chatforge.chat.DecodingSequence;
import dev.chatforge.chat.GPT2NextTokenModel;
import dev.chatforge.chat.Generator;
import dev.chatforge.chat.NextTokenModel;
import dev.chatforge.chat.Sampler;
import dev.chatforge.chat.StopCondition;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Config;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Continuous batching gives every request what it would get alone, in shared forward passes. */
class BatchSchedulerTest {
    private static final GPT2Config CONFIG = new GPT2Config(61, 48, 32, 2, 2, "gelu", 0, 0, 0, 1e-5, 0.3);

    /** Counts the batched steps and the largest batch. */
    private static final class CountingModel extends ForwardingModel {
        final AtomicInteger steps = new AtomicInteger();
        final AtomicInteger largest = new AtomicInteger();

        CountingModel(NextTokenModel inner) {
            super(inner);
        }

        @Override
        public float[][] appendEach(List<CachedSession> sessions, int[] tokens) {
            steps.incrementAndGet();
            largest.accumulateAndGet(sessions.size(), Math::max);
            return inner.appendEach(sessions, tokens);
        }
    }

    @Test
    void requestsDecodedTogetherGetTheTokensTheyGetAloneInSharedSteps() throws Exception {
        try (GPT2 gpt = GPT2.create(CONFIG, Device.cpu(), 5)) {
            GPT2NextTokenModel model = new GPT2NextTokenModel(gpt);
            CountingModel counting = new CountingModel(model);
            int[][] prompts = {{1, 2, 3}, {7}, {9, 8, 7, 6, 5, 4}, {30, 31}, {12, 40, 2}};
            int[] lengths = {20, 12, 25, 8, 16};
            List<BatchScheduler.Job> jobs = new ArrayList<>();
            try (BatchScheduler scheduler = new BatchScheduler(counting, 3, 10)) {
                for (int i = 0; i < prompts.length; i++) {
                    Sampler sampler = i % 2 == 0 ? Sampler.greedy() : new Sampler(1.0, 10, 0.9, i);
                    jobs.add(scheduler.submit(new DecodingSequence(CONFIG.nPositions(), prompts[i], lengths[i], sampler,
                            StopCondition.none(), null, null), TimeUnit.SECONDS.toNanos(60)));
                }
                int total = 0;
                for (int i = 0; i < jobs.size(); i++) {
                    assertEquals(BatchScheduler.Outcome.FINISHED, jobs.get(i).done().get(60, TimeUnit.SECONDS));
                    Sampler sampler = i % 2 == 0 ? Sampler.greedy() : new Sampler(1.0, 10, 0.9, i);
                    int[] alone = new Generator(model, true).generate(prompts[i], lengths[i], sampler, StopCondition.none(),
                            null, null).tokens();
                    assertArrayEquals(alone, jobs.get(i).sequence().tokens(), "request " + i);
                    total += alone.length;
                }
                assertEquals(3, counting.largest.get(), "at most --max-concurrent sequences share a step");
                assertTrue(counting.steps.get() < total - prompts.length, counting.steps.get() + " steps for " + total + " tokens");
                assertEquals(0, scheduler.inFlight());
            }
        }
    }
}
