package dev.chatforge.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.chatforge.io.Json;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.model.Precision;
import dev.chatforge.tokenizer.TokenSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    static final GPT2Config TINY = GPT2Config.of(32, 16, 32, 2, 2);

    static TrainOptions options(int batch, int accum, long steps, LrSchedule schedule, int evalInterval) {
        return new TrainOptions(batch, accum, steps, schedule, 0.9, 0.95, 1e-8, 0.1, 1.0, evalInterval, 1);
    }

    /** A trainer writing to {@code out}, validating on 8 fixed windows of {@code val} (null: none). */
    static Trainer trainer(GPT2 model, AdamW adamW, TrainerState start, TrainOptions o, Path out, DataSampler train,
                           TokenSource val) {
        List<TokenBatch> validation = val == null ? List.of() : FixedWindows.of(val, train.blockSize(), 8, o.batchSize());
        return new Trainer(model, adamW, start, o, train, validation, RunFolder.at(out, null));
    }

    static Map<String, float[]> snapshot(GPT2 model) {
        Map<String, float[]> values = new java.util.LinkedHashMap<>();
        model.parameters().forEach((name, p) -> values.put(name, p.toFloatArray()));
        return values;
    }

    static float maxDiff(Map<String, float[]> a, Map<String, float[]> b) {
        float m = 0;
        for (String name : a.keySet()) {
            float[] x = a.get(name);
            float[] y = b.get(name);
            for (int i = 0; i < x.length; i++) {
                m = Math.max(m, Math.abs(x[i] - y[i]));
            }
        }
        return m;
    }

    @Test
    void tinyModelLearnsAShortTextByHeart(@TempDir Path out) {
        // 32 distinct tokens in a fixed shuffled order, repeated: every next token is determined
        // by the text, so a model that learns it by heart reaches a loss near zero.
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, new java.util.Random(1));
        int[] pattern = order.stream().mapToInt(Integer::intValue).toArray();
        ArrayTokenSource text = ArrayTokenSource.repeating(pattern, 2000, 32);
        try (GPT2 model = GPT2.create(TINY, Device.cpu(), 1)) {
            TrainOptions o = new TrainOptions(8, 1, 60, new LrSchedule(2e-2, 2e-3, 5, 60), 0.9, 0.95, 1e-8, 0.0, 1.0,
                    60, 10);
            try (AdamW adamW = Trainer.newOptimizer(model, o)) {
                TrainerState end = trainer(model, adamW, TrainerState.start(1234, null), o, out,
                        new RandomWindows(text, 16, 1234), text).run();
                assertTrue(end.valLoss() < 0.05, "val loss after 60 steps: " + end.valLoss());
                assertTrue(Files.isRegularFile(out.resolve("loss.png")), "each evaluation redraws loss.png");
            }
        }
    }

    @Test
    void gradientAccumulationOneBySixteenEqualsFourByFour(@TempDir Path out) {
        ArrayTokenSource data = ArrayTokenSource.random(5000, 32, 2);
        Map<String, float[]> whole;
        Map<String, float[]> split;
        double lossWhole;
        double lossSplit;
        try (GPT2 model = GPT2.create(TINY, Device.cpu(), 3)) {
            TrainOptions o = options(16, 1, 3, LrSchedule.constant(1e-3), 100);
            try (AdamW adamW = Trainer.newOptimizer(model, o)) {
                lossWhole = trainer(model, adamW, TrainerState.start(1234, null), o, out.resolve("a"), new RandomWindows(data, 16, 9), null)
                        .run().trainLoss();
            }
            whole = snapshot(model);
        }
        try (GPT2 model = GPT2.create(TINY, Device.cpu(), 3)) {
            TrainOptions o = options(4, 4, 3, LrSchedule.constant(1e-3), 100);
            try (AdamW adamW = Trainer.newOptimizer(model, o)) {
                lossSplit = trainer(model, adamW, TrainerState.start(1234, null), o, out.resolve("b"), new RandomWindows(data, 16, 9), null)
                        .run().trainLoss();
            }
            split = snapshot(model);
        }
        assertEquals(lossWhole, lossSplit, 1e-5);
        assertTrue(maxDiff(whole, split) < 1e-5, "max parameter difference " + maxDiff(whole, split));
    }

    @Test
    void withALossMaskAccumulationStillEqualsOneBigBatch(@TempDir Path out) {
        // Micro-batches train on different numbers of tokens; dividing each by its own count
        // would weight them wrongly. The trainer divides by the whole step's count.
        int[] tokens = ArrayTokenSource.random(5000, 32, 11).tokens();
        byte[] mask = new byte[tokens.length];
        java.util.Random r = new java.util.Random(12);
        for (int i = 0; i < mask.length; i++) {
            mask[i] = (byte) (r.nextInt(4) == 0 ? 1 : 0);
        }
        ArrayTokenSource data = new ArrayTokenSource(tokens, mask, 32);
        List<Map<String, float[]>> results = new ArrayList<>();
        int[][] splits = {{8, 1}, {2, 4}};
        for (int k = 0; k < 2; k++) {
            try (GPT2 model = GPT2.create(TINY, Device.cpu(), 13)) {
                TrainOptions o = options(splits[k][0], splits[k][1], 2, LrSchedule.constant(1e-3), 100);
                try (AdamW adamW = Trainer.newOptimizer(model, o)) {
                    trainer(model, adamW, TrainerState.start(1, null), o, out.resolve("m" + k), new RandomWindows(data, 16, 5), null)
                            .run();
                }
                results.add(snapshot(model));
            }
        }
        float diff = maxDiff(results.get(0), results.get(1));
        assertTrue(diff < 1e-5, "max parameter difference " + diff);
    }

    /** In bf16 too: its products are as deterministic as fp32's, and a checkpoint is fp32 either way. */
    @ParameterizedTest
    @EnumSource(Precision.class)
    void killedAndResumedRunEqualsUninterruptedRun(Precision precision, @TempDir Path out) throws Exception {
        ArrayTokenSource data = ArrayTokenSource.random(5000, 32, 4);
        ArrayTokenSource val = ArrayTokenSource.random(500, 32, 5);
        LrSchedule schedule = new LrSchedule(3e-3, 3e-4, 2, 8); // warm-up and decay both cross the kill
        TrainerState uninterrupted;
        Map<String, float[]> expected;
        try (GPT2 model = GPT2.create(TINY, Device.cpu(), 5).usePrecision(precision)) {
            TrainOptions o = options(4, 2, 8, schedule, 4);
            try (AdamW adamW = Trainer.newOptimizer(model, o)) {
                uninterrupted = trainer(model, adamW, TrainerState.start(77, null), o, out.resolve("a"),
                        new RandomWindows(data, 16, 77), val).run();
            }
            expected = snapshot(model);
        }
        // Second run: "killed" after step 6, i.e. after the step-4 checkpoint and two more steps.
        TrainOptions o = options(4, 2, 8, schedule, 4);
        try (GPT2 model = GPT2.create(TINY, Device.cpu(), 5).usePrecision(precision); AdamW adamW = Trainer.newOptimizer(model, o)) {
            Trainer trainer = trainer(model, adamW, TrainerState.start(77, null), o, out.resolve("b"), new RandomWindows(data, 16, 77), val)
                    .onStep(s -> {
                        if (s.step() == 6) {
                            throw new IllegalStateException("killed");
                        }
                    });
            assertThrows(IllegalStateException.class, trainer::run);
        }
        Path latest = RunFolder.at(out.resolve("b"), null).latest();
        TrainerState resumed;
        Map<String, float[]> actual;
        try (Checkpoint checkpoint = Checkpoint.load(latest, Device.cpu())) {
            assertEquals(4, checkpoint.state().step());
            checkpoint.model().usePrecision(precision);
            try (AdamW adamW = Trainer.newOptimizer(checkpoint.model(), o)) {
                Checkpoint.loadOptimizer(latest, adamW, checkpoint.state().step(), Device.cpu());
                resumed = trainer(checkpoint.model(), adamW, checkpoint.state(), o, out.resolve("b"), new RandomWindows(data, 16, 77), val)
                        .run();
            }
            actual = snapshot(checkpoint.model());
        }
        // Same device, same thread count, same order of operations: we expect bit-identical
        // results and assert within 1e-6.
        assertEquals(uninterrupted.trainLoss(), resumed.trainLoss(), 1e-6);
        assertEquals(uninterrupted.valLoss(), resumed.valLoss(), 1e-6);
        assertEquals(uninterrupted.samplerPosition(), resumed.samplerPosition());
        assertTrue(maxDiff(expected, actual) < 1e-6, "max parameter difference " + maxDiff(expected, actual));
        // The resumed log has every step once: the lines the killed run wrote after step 4 are gone.
        List<Long> steps = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("b").resolve(MetricsLog.FILE_NAME))) {
            steps.add(Json.MAPPER.readTree(line).path("step").asLong());
        }
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), steps);
    }

    @Test
    void checkpointRoundTripGivesIdenticalLogits(@TempDir Path out) throws Exception {
        Path tokenizer = Files.writeString(out.resolve("tokenizer.json"), "{\"model\": {}}");
        int[] tokens = ArrayTokenSource.random(12, 32, 6).tokens();
        float[] before;
        try (GPT2 model = GPT2.create(TINY, Device.cpu(), 6); NDManager m = model.manager().newSubManager()) {
            before = model.forward(m.create(tokens, new Shape(1, 12)), false).toFloatArray();
            TrainerState state = new TrainerState(3, 300, 1e-3, 2.5, 2.6, 2.6, 3, 12, 1234, 1.5, null);
            Checkpoint.save(out.resolve("ckpt"), model, null, state, tokenizer, null);
        }
        try (Checkpoint c = Checkpoint.load(out.resolve("ckpt"), Device.cpu()); NDManager m = c.model().manager().newSubManager()) {
            assertEquals(TINY, c.config());
            assertEquals(3, c.state().step());
            assertEquals(12, c.state().samplerPosition());
            assertNotNull(c.tokenizer());
            assertEquals("{\"model\": {}}", Files.readString(c.tokenizer()));
            assertArrayEquals(before, c.model().forward(m.create(tokens, new Shape(1, 12)), false).toFloatArray(), 0f);
        }
        // The HF layout is what config.json and the header say.
        String config = Files.readString(out.resolve("ckpt/config.json"));
        assertTrue(config.contains("\"n_embd\" : 32") && config.contains("\"model_type\" : \"gpt2\""), config);
        assertFalse(Files.list(out).anyMatch(p -> p.getFileName().toString().contains(".tmp-")), "no temp folder left");
    }

    @Test
    void nanLossStopsWithAClearMessageAndKeepsTheLastGoodCheckpoint(@TempDir Path out) {
        TrainingDivergedException e = divergeAfterStep(2, 2, out); // after the step-2 checkpoint
        assertTrue(e.getMessage().contains("loss is NaN") && e.getMessage().contains("at step 3")
                && e.getMessage().contains("(step 2)"), e.getMessage());
        assertEquals(2, TrainerState.read(RunFolder.at(out, null).latest()).step());
    }

    /** A run that diverges before its first checkpoint names none: latest/ does not exist. */
    @Test
    void divergingBeforeTheFirstCheckpointNamesNoCheckpoint(@TempDir Path out) {
        TrainingDivergedException e = divergeAfterStep(1, 5, out);
        assertTrue(e.getMessage().contains("at step 2") && e.getMessage().contains("No checkpoint was saved before it")
                && !e.getMessage().contains("latest"), e.getMessage());
        assertFalse(Files.exists(RunFolder.at(out, null).latest()));
    }

    /** Trains a tiny model, puts a NaN into a weight after {@code step}, and returns how the run stopped. */
    private static TrainingDivergedException divergeAfterStep(int step, int evalInterval, Path out) {
        ArrayTokenSource data = ArrayTokenSource.random(3000, 32, 7);
        TrainOptions o = options(4, 1, 10, LrSchedule.constant(1e-3), evalInterval);
        try (GPT2 model = GPT2.create(TINY, Device.cpu(), 7); AdamW adamW = Trainer.newOptimizer(model, o)) {
            Trainer trainer = trainer(model, adamW, TrainerState.start(1, null), o, out, new RandomWindows(data, 16, 1), data)
                    .onStep(s -> {
                        if (s.step() == step) {
                            NDArray w = model.parameters().get("transformer.h.0.mlp.c_fc.weight");
                            try (NDManager scratch = model.manager().newSubManager()) {
                                float[] nanFirst = new float[Math.toIntExact(w.size())];
                                nanFirst[0] = Float.NaN;
                                w.addi(scratch.create(nanFirst, w.getShape()));
                            }
                        }
                    });
            return assertThrows(TrainingDivergedException.class, trainer::run);
        }
    }

    /**
     * Makes the first element of a gradient NaN, in place, with a native op: NDArray.set(float[])
     * would make the parameter's .grad point into a Java buffer freed with this temporary handle.
     */
    private static void poison(NDArray gradient) {
        float[] nanFirst = new float[Math.toIntExact(gradient.size())];
        nanFirst[0] = Float.NaN;
        gradient.addi(gradient.getManager().create(nanFirst, gradient.getShape()));
    }

    @Test
    void anIsolatedNonFiniteGradientSkipsThatStepAndTrainingGoesOn(@TempDir Path out) throws Exception {
        ArrayTokenSource data = ArrayTokenSource.random(3000, 32, 9);
        TrainOptions o = options(4, 1, 6, LrSchedule.constant(1e-3), 3);
        try (GPT2 model = GPT2.create(TINY, Device.cpu(), 9); AdamW adamW = Trainer.newOptimizer(model, o)) {
            int[] backwards = {0};
            Map<String, float[]>[] beforeStep3 = new Map[1];
            Trainer trainer = trainer(model, adamW, TrainerState.start(1, null), o, out, new RandomWindows(data, 16, 1), data)
                    .afterBackward(g -> {
                        if (++backwards[0] == 3) {
                            beforeStep3[0] = snapshot(model);
                            poison(g.get("transformer.h.1.attn.c_attn.weight"));
                        }
                    })
                    .onStep(s -> {
                        if (s.step() == 3) {
                            assertEquals(0, maxDiff(beforeStep3[0], snapshot(model)), "the poisoned step changes no weight");
                        }
                    });
            TrainerState end = trainer.run();
            assertEquals(6, end.step());
            assertEquals(6, adamW.steps(), "t counts the skipped step, as a resumed run would restore it");
            snapshot(model).forEach((name, values) -> {
                for (float v : values) {
                    assertTrue(Float.isFinite(v), name);
                }
            });
        }
        List<String> lines = Files.readAllLines(out.resolve(MetricsLog.FILE_NAME));
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"step\":6") && l.contains("\"skipped_steps\":1")), lines.toString());
    }

    @Test
    void nonFiniteGradientsStepAfterStepStopTheRunNamingTheParameter(@TempDir Path out) {
        ArrayTokenSource data = ArrayTokenSource.random(3000, 32, 10);
        TrainOptions o = options(4, 1, 20, LrSchedule.constant(1e-3), 2);
        try (GPT2 model = GPT2.create(TINY, Device.cpu(), 10); AdamW adamW = Trainer.newOptimizer(model, o)) {
            int[] backwards = {0};
            Trainer trainer = trainer(model, adamW, TrainerState.start(1, null), o, out, new RandomWindows(data, 16, 1), data)
                    .afterBackward(g -> {
                        if (++backwards[0] >= 5) {
                            poison(g.get("transformer.wpe.weight"));
                        }
                    });
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, trainer::run);
            assertTrue(e.getMessage().contains("gradient norm NaN, 4 steps in a row, in [transformer.wpe.weight]")
                    && e.getMessage().contains("at step 8") && e.getMessage().contains("(step 6)"), e.getMessage()); // skipped steps keep the weights: 6 is good
        }
    }

    @Test
    void modelManagerHoldsOnlyParametersAfterTraining(@TempDir Path out) {
        ArrayTokenSource data = ArrayTokenSource.random(3000, 32, 8);
        TrainOptions o = options(4, 2, 3, LrSchedule.constant(1e-3), 3);
        try (GPT2 model = GPT2.create(TINY, Device.cpu(), 8)) {
            int before = model.manager().getManagedArrays().size();
            try (AdamW adamW = Trainer.newOptimizer(model, o)) {
                trainer(model, adamW, TrainerState.start(1, null), o, out, new RandomWindows(data, 16, 1), data).run();
                // the optimizer's moments live in its own sub-manager; nothing else may remain
                assertEquals(before, model.manager().getManagedArrays().size() - 2 * model.parameters().size());
            }
        }
    }

    @Test
    void learningRateWarmsUpThenFollowsACosineToTheFloor() {
        LrSchedule s = new LrSchedule(1e-3, 1e-4, 10, 110);
        assertEquals(1e-3 / 11, s.at(0), 1e-12);
        assertEquals(1e-3 * 10 / 11, s.at(9), 1e-12);
        assertEquals(1e-3, s.at(10), 1e-12);
        assertEquals((1e-3 + 1e-4) / 2, s.at(60), 1e-12); // half-way down the cosine
        assertEquals(1e-4, s.at(110), 1e-12);
        assertEquals(1e-4, s.at(5000), 1e-12);
    }
}
