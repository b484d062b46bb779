package dev.chatforge.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.cli.Main;
import dev.chatforge.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The train and eval stages end to end through the CLI, with their exit codes and messages. */
class TrainStageTest {
    @TempDir
    Path dir;

    /** A short text repeated: a tiny model's loss falls fast on it. */
    static int[] text(int n, int vocab, long seed) {
        int[] pattern = ArrayTokenSource.random(40, vocab, seed).tokens();
        return ArrayTokenSource.repeating(pattern, n, vocab).tokens();
    }

    Path config(String extra) throws Exception {
        return config(dir, extra);
    }

    /** c.yaml in {@code dir}: tiny token data in tokens/, a run in run/, an eval report in eval.json. */
    static Path config(Path dir, String extra) throws Exception {
        Path data = TokenizedFixture.write(dir.resolve("tokens"), 64, text(4000, 64, 1), text(600, 64, 1), null, 2400,
                "{\"tokenizer\": 1}");
        String yaml = """
                train:
                  data: %s
                  output: %s
                  model: tiny
                  n_layer: 2
                  n_embd: 32
                  n_head: 2
                  block_size: 16
                  batch_size: 8
                  max_steps: 40
                  learning_rate: 0.01
                  min_lr: 0.001
                  warmup_steps: 2
                  eval_interval: 20
                  eval_windows: 16
                  device: cpu
                eval:
                  checkpoint: %s
                  data: %s
                  report: %s
                  device: cpu
                """.formatted(data, dir.resolve("run"), dir.resolve("run/best"), data, dir.resolve("eval.json")) + extra;
        return Files.writeString(dir.resolve("c.yaml"), yaml);
    }

    static Object[] run(String... args) {
        PrintStream oldErr = System.err;
        PrintStream oldOut = System.out;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Object[] {code, err.toString(StandardCharsets.UTF_8), out.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setErr(oldErr);
            System.setOut(oldOut);
        }
    }

    @Test
    void trainThenEvalReportsAFallingLossPerplexityAndBitsPerByte() throws Exception {
        Path c = config("");
        Object[] train = run("train", "--config", c.toString());
        assertEquals(0, train[0], (String) train[1]);
        Path out = dir.resolve("run");
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "trainer_state.json",
                "optimizer.safetensors", "metrics.jsonl")) {
            assertTrue(Files.exists(out.resolve("latest").resolve(f)), "latest/" + f);
        }
        assertTrue(Files.exists(out.resolve("best/model.safetensors")));
        assertTrue(Files.exists(out.resolve("manifest.json")));
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        JsonNode first = Json.MAPPER.readTree(lines.get(0));
        JsonNode last = Json.MAPPER.readTree(lines.get(lines.size() - 1));
        assertEquals(40, last.path("step").asLong());
        assertTrue(last.path("val_loss").asDouble() < first.path("val_loss").asDouble() - 1.0,
                "val loss " + first.path("val_loss") + " → " + last.path("val_loss"));
        for (String key : List.of("train_loss", "val_loss", "lr", "grad_norm", "tokens_per_sec", "elapsed_s")) {
            assertTrue(last.has(key), key);
        }

        Object[] eval = run("eval", "--config", c.toString());
        assertEquals(0, eval[0], (String) eval[1]);
        JsonNode report = Json.MAPPER.readTree(dir.resolve("eval.json").toFile());
        double loss = report.path("loss").asDouble();
        assertEquals(599, report.path("tokens_scored").asLong()); // every token after the first, once
        assertEquals(Math.exp(loss), report.path("perplexity").asDouble(), 1e-9);
        assertEquals(loss * 599 / Math.log(2) / 2400, report.path("bits_per_byte").asDouble(), 1e-9);
        assertTrue(((String) eval[2]).contains("perplexity"), (String) eval[2]);
    }

    @Test
    void aBf16RunSaysSoEverywhereAndItsFp32CheckpointResumesAndEvaluatesInFp32() throws Exception {
        // Where the processor lacks native bf16, emulated bf16 is allowed here so the path runs everywhere.
        String allowed = System.setProperty(dev.chatforge.model.Precision.ALLOW_EMULATED_PROPERTY, "true");
        try {
            Path c = config("");
            Object[] train = run("train", "--config", c.toString(), "--set", "train.precision=bf16", "--set", "train.max_steps=20",
                    "--set", "train.lr_decay_steps=40"); // one schedule for both runs: the resume changes only precision
            assertEquals(0, train[0], (String) train[1]);
            assertTrue(((String) train[1]).contains("train: precision bf16 (set in the config"), (String) train[1]);
            Path out = dir.resolve("run");
            List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
            for (String line : lines) {
                assertEquals("bf16", Json.MAPPER.readTree(line).path("precision").asText(), line);
            }
            assertTrue(Json.MAPPER.readTree(lines.get(0)).path("precision_reason").asText().startsWith("bf16 (set in the config"),
                    lines.get(0));
            JsonNode stats = Json.MAPPER.readTree(out.resolve("manifest.json").toFile()).path("stats");
            assertEquals("bf16", stats.path("precision").asText(), stats.toString());
            assertEquals("bf16", TrainerState.read(out.resolve("latest")).run().path("precision").asText());
            String header = new String(Files.readAllBytes(out.resolve("latest/model.safetensors")), 0, 4000,
                    StandardCharsets.ISO_8859_1);
            assertTrue(header.contains("\"F32\"") && !header.contains("BF16"), "the checkpoint stays fp32");

            Object[] resumed = run("train", "--config", c.toString(), "--set", "train.precision=fp32",
                    "--set", "train.lr_decay_steps=40");
            assertEquals(0, resumed[0], (String) resumed[1]);
            assertTrue(((String) resumed[1]).contains("was trained in bf16 and continues in fp32"), (String) resumed[1]);
            assertEquals(40, TrainerState.read(out.resolve("latest")).step());
            Object[] eval = run("eval", "--config", c.toString(), "--set", "eval.precision=fp32");
            assertEquals(0, eval[0], (String) eval[1]);
            assertEquals("fp32", Json.MAPPER.readTree(dir.resolve("eval.json").toFile()).path("precision").asText());
        } finally {
            if (allowed == null) {
                System.clearProperty(dev.chatforge.model.Precision.ALLOW_EMULATED_PROPERTY);
            } else {
                System.setProperty(dev.chatforge.model.Precision.ALLOW_EMULATED_PROPERTY, allowed);
            }
        }
    }

    @Test
    void aSecondRunResumesAndAFinishedRunHasNothingToDo() throws Exception {
        Path c = config("");
        // A 40-step schedule (lr_decay_steps) run to step 20, then resumed with its 40 steps.
        assertEquals(0, run("train", "--config", c.toString(), "--set", "train.max_steps=20", "--set", "train.lr_decay_steps=40")[0]);
        Object[] more = run("train", "--config", c.toString());
        assertEquals(0, more[0], (String) more[1]);
        assertTrue(((String) more[1]).contains("resuming"), (String) more[1]);
        assertEquals(40, TrainerState.read(dir.resolve("run/latest")).step());
        Object[] never = run("train", "--config", c.toString(), "--set", "train.resume=never");
        assertEquals(1, never[0]);
        assertTrue(((String) never[1]).contains("pass --force"), (String) never[1]);
    }

    @Test
    void evalRefusesATokenFileOfAnotherVocabulary() throws Exception {
        Path c = config("");
        assertEquals(0, run("train", "--config", c.toString(), "--set", "train.max_steps=2")[0]);
        Path other = TokenizedFixture.write(dir.resolve("other"), 128, text(500, 128, 2), text(300, 128, 2), null, 900, "{}");
        Object[] r = run("eval", "--config", c.toString(), "--set", "eval.data=" + other);
        assertEquals(1, r[0]);
        assertTrue(((String) r[1]).contains("vocabulary of 128") && ((String) r[1]).contains("vocab_size 64"), (String) r[1]);
    }

    @Test
    void evalRefusesTheSameVocabularySizeFromAnotherTokenizer() throws Exception {
        Path c = config("");
        assertEquals(0, run("train", "--config", c.toString(), "--set", "train.max_steps=2")[0]);
        Path other = TokenizedFixture.write(dir.resolve("other"), 64, text(500, 64, 2), text(300, 64, 2), null, 900,
                "{\"another\": 1}");
        Object[] r = run("eval", "--config", c.toString(), "--set", "eval.data=" + other);
        assertEquals(1, r[0]);
        assertTrue(((String) r[1]).contains("differs from the checkpoint's"), (String) r[1]);
    }

    /** Issue 19: `eval --force` with {@code report: run/best/model.safetensors} wrote its JSON over the weights. */
    @Test
    void evalNeverWritesItsReportOverAnInputOrAFileItDidNotWrite() throws Exception {
        Path c = config("");
        assertEquals(0, run("train", "--config", c.toString(), "--set", "train.max_steps=2")[0]);
        Path weights = dir.resolve("run/best/model.safetensors");
        String sha = dev.chatforge.io.Hashing.sha256(weights);
        Object[] r = run("eval", "--config", c.toString(), "--set", "eval.report=" + weights, "--force");
        assertEquals(1, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains(weights + ": the output lies inside " + dir.resolve("run/best")
                + ", which eval reads"), (String) r[1]);
        assertEquals(sha, dev.chatforge.io.Hashing.sha256(weights));

        Path notes = Files.writeString(dir.resolve("notes.json"), "{\"mine\": true}\n");
        r = run("eval", "--config", c.toString(), "--set", "eval.report=" + notes, "--force");
        assertEquals(1, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains(notes + ": exists and is not an eval report"), (String) r[1]);
        assertEquals("{\"mine\": true}\n", Files.readString(notes));

        assertEquals(0, run("eval", "--config", c.toString())[0]);
        Object[] again = run("eval", "--config", c.toString());
        assertEquals(1, again[0], "its own report needs --force to be replaced");
        Object[] forced = run("eval", "--config", c.toString(), "--force");
        assertEquals(0, forced[0], (String) forced[1]);
    }

    @Test
    void aTokenFileWithTheRightSizeButOtherIdsIsRefusedByEveryStageThatOpensIt() throws Exception {
        Path c = config("");
        assertEquals(0, run("train", "--config", c.toString(), "--set", "train.max_steps=2")[0]);
        // Same count of ids (so the same size), other ids: only the manifest's SHA-256 tells.
        Path other = TokenizedFixture.write(dir.resolve("other"), 64, text(4000, 64, 7), text(600, 64, 7), null, 2400,
                "{\"tokenizer\": 1}");
        Path trainBin = dir.resolve("tokens/train.bin");
        assertEquals(Files.size(trainBin), Files.size(other.resolve("train.bin")));
        Files.copy(other.resolve("train.bin"), trainBin, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Object[] train = run("train", "--config", c.toString(), "--force", "--set", "train.max_steps=2");
        assertEquals(1, train[0], (String) train[1]);
        assertTrue(((String) train[1]).contains(trainBin + ": its SHA-256") && ((String) train[1]).contains("manifest"),
                (String) train[1]);
        Files.copy(other.resolve("val.bin"), dir.resolve("tokens/val.bin"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Object[] eval = run("eval", "--config", c.toString());
        assertEquals(1, eval[0], (String) eval[1]);
        assertTrue(((String) eval[1]).contains(dir.resolve("tokens/val.bin") + ": its SHA-256"), (String) eval[1]);
    }

    @Test
    void evalOfAMissingCheckpointSaysSo() throws Exception {
        Path c = config("");
        Object[] r = run("eval", "--config", c.toString(), "--set", "eval.checkpoint=" + dir.resolve("nope"));
        assertEquals(1, r[0]);
        assertTrue(((String) r[1]).contains("nope: checkpoint folder not found"), (String) r[1]);
    }

    @Test
    void trainWithoutTokenizedDataNamesTheStageToRun() throws Exception {
        Path c = config("");
        Object[] r = run("train", "--config", c.toString(), "--set", "train.data=" + dir.resolve("missing"));
        assertEquals(1, r[0]);
        assertTrue(((String) r[1]).contains("chatforge tokenize"), (String) r[1]);
    }

    @Test
    void badTrainSettingsAreConfigErrors() throws Exception {
        Path c = config("");
        Object[] r = run("train", "--config", c.toString(), "--set", "train.model=huge", "--set", "train.min_lr=1");
        assertEquals(2, r[0]);
        String err = (String) r[1];
        assertTrue(err.contains("train.model") && err.contains("train.min_lr"), err);
    }

    @Test
    void aWarmupLongerThanTheRunIsAConfigErrorNamingBothKeys() throws Exception {
        Path c = config("");
        Object[] r = run("train", "--config", c.toString(), "--set", "train.warmup_steps=100", "--set", "train.max_steps=10");
        assertEquals(2, r[0]);
        assertTrue(((String) r[1]).contains("key 'train.warmup_steps': is 100, more than max_steps (10)"), (String) r[1]);
    }

    @Test
    void theSharedTrainingKeysAreCheckedLikeTheStagesOwn() throws Exception {
        Path c = config("");
        Object[] typo = run("train", "--config", c.toString(), "--set", "train.batch_sze=4");
        assertEquals(2, typo[0]);
        assertTrue(((String) typo[1]).contains("unknown key 'train.batch_sze' (did you mean 'batch_size'?)"),
                (String) typo[1]);
        Object[] eps = run("train", "--config", c.toString(), "--set", "train.adam_eps=0", "--set", "train.grad_accum=0");
        assertEquals(2, eps[0]);
        assertTrue(((String) eps[1]).contains("train.adam_eps") && ((String) eps[1]).contains("train.grad_accum"),
                (String) eps[1]);
    }

    @Test
    void aTrainingWindowLongerThanTheDataIsRefused() throws Exception {
        Path c = config("");
        Object[] r = run("train", "--config", c.toString(), "--set", "train.block_size=8000");
        assertEquals(1, r[0]);
        assertTrue(((String) r[1]).contains("fewer than one training window"), (String) r[1]);
    }
}
