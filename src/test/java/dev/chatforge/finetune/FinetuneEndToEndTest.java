package dev.chatforge.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.cli.Main;
import dev.chatforge.eval.EvalConfig;
import dev.chatforge.eval.EvalStage;
import dev.chatforge.io.Hashing;
import dev.chatforge.io.Json;
import dev.chatforge.io.Manifest;
import dev.chatforge.io.StageInputException;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.train.TrainerState;
import dev.chatforge.train.TrainingSettings;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tuning a tiny model on a support-dialogue task, then evaluating and talking to it through
 * the CLI: the whole tail of the pipeline, in seconds.
 */
class FinetuneEndToEndTest {
    @TempDir
    static Path dir;
    static Path tokenizer;
    static Path data;
    static Path parent;
    static Path output;
    static FinetuneStage.Result result;

    static FinetuneConfig config(Path out) {
        return config(out, 40, null, 3, "auto");
    }

    static FinetuneConfig config(Path out, long maxSteps, Long lrDecaySteps, int patience, String resume) {
        return new FinetuneConfig(parent, data, out, TrainOn.AGENT, null, patience, null, new TrainingSettings(8, 1, maxSteps,
                5e-3, 5e-4, 4, lrDecaySteps, 0.9, 0.95, 1e-8, 0.0, 1.0, 10, 16, 10, 1, "cpu", "auto", resume, "refuse"));
    }

    @BeforeAll
    static void fineTune() throws Exception {
        tokenizer = DialogueFixture.tokenizer(dir.resolve("tok"), 400);
        data = DialogueFixture.tokens(dir.resolve("support/tokens"), tokenizer, 150, 30);
        int vocab = Json.MAPPER.readTree(data.resolve("manifest.json").toFile()).path("stats").path("vocab_size").asInt();
        parent = DialogueFixture.parentCheckpoint(dir.resolve("pretrained/best"), tokenizer, vocab, 64);
        output = dir.resolve("ft");
        result = FinetuneStage.run(config(output), false);
    }

    @Test
    void dropoutDefaultsToTheCheckpointsOwnAndCanBeSet() throws Exception {
        GPT2Config parentConfig = GPT2Config.read(parent);
        GPT2Config kept = GPT2Config.read(output.resolve("best"));
        assertEquals(parentConfig.residPdrop(), kept.residPdrop(), "dropout: null keeps the parent's");
        FinetuneConfig c = config(dir.resolve("ft-dropout"), 10, null, 0, "auto");
        FinetuneStage.run(new FinetuneConfig(c.checkpoint(), c.data(), c.output(), c.trainOn(), null, 0, 0.25,
                c.training()), false);
        GPT2Config set = GPT2Config.read(dir.resolve("ft-dropout/best"));
        assertEquals(List.of(0.25, 0.25, 0.25), List.of(set.residPdrop(), set.embdPdrop(), set.attnPdrop()));
        assertTrue(parentConfig.residPdrop() != 0.25, "the parent's dropout differs");
    }

    @Test
    void fineTuningLowersTheTaskValidationLoss() {
        assertNotNull(result.initialValLoss());
        assertNotNull(result.end().bestValLoss());
        assertTrue(result.end().bestValLoss() < result.initialValLoss() - 1.0,
                "validation loss " + result.initialValLoss() + " -> " + result.end().bestValLoss());
    }

    @Test
    void evalOfTheFineTunedCheckpointScoresAgentTokensOnlyWithLowerPerplexity() {
        ObjectNode before = EvalStage.run(new EvalConfig(parent, data, "val", null, 8, "cpu", null), false);
        ObjectNode after = EvalStage.run(new EvalConfig(output.resolve("best"), data, "val", null, 8, "cpu", null), false);
        assertTrue(after.path("scored").asText().contains("agent tokens only"), after.toString());
        assertEquals(before.path("tokens_scored").asLong(), after.path("tokens_scored").asLong());
        assertTrue(after.path("perplexity").asDouble() < before.path("perplexity").asDouble() / 2,
                before.path("perplexity") + " -> " + after.path("perplexity"));
    }

    @Test
    void writesTrainsCheckpointFormatWithTheParentRecorded() throws Exception {
        Manifest manifest = Manifest.read(output, "finetune");
        assertEquals(parent.toString(), manifest.stats().path("parent").asText());
        assertEquals("turns", manifest.stats().path("chat_template").asText());
        for (String file : List.of("config.json", "model.safetensors", "tokenizer.json", "trainer_state.json")) {
            assertTrue(Files.exists(output.resolve("best").resolve(file)), file);
        }
        assertTrue(Files.exists(output.resolve("latest/optimizer.safetensors")));
        JsonNode state = Json.MAPPER.readTree(output.resolve("best/trainer_state.json").toFile());
        assertEquals("finetune", state.path("run").path("stage").asText());
        assertEquals(parent.toString(), state.path("run").path("parent").asText());
        List<String> metrics = Files.readAllLines(output.resolve("metrics.jsonl"));
        assertTrue(metrics.get(0).contains("\"val_loss\""), metrics.get(0));
        // The model card the Hub shows: parent, data, steps, validation loss, how to load, the special-token caveat.
        for (String folder : List.of("best", "latest")) {
            String card = Files.readString(output.resolve(folder).resolve("README.md"));
            for (String expected : List.of("fine-tuned on conversations", parent.toString(), "- Steps: ",
                    "Validation loss at this step: ", "from_pretrained", "--format gguf", "apply_chat_template",
                    "<|endoftext|><|system|>", "Special tokens typed inside messages")) {
                assertTrue(card.contains(expected), folder + " card lacks '" + expected + "':\n" + card);
            }
            assertTrue(card.contains(String.format(java.util.Locale.ROOT, "%.4f",
                    Json.MAPPER.readTree(output.resolve(folder).resolve("trainer_state.json").toFile()).path("val_loss").asDouble())),
                    card);
        }
    }

    @Test
    void refusesDataTokenizedWithAnotherTokenizer() throws Exception {
        Path other = dir.resolve("other-tok");
        Files.createDirectories(other);
        // Same vocabulary, one merge less: the same text can get other ids.
        ObjectNode json = (ObjectNode) Json.MAPPER.readTree(tokenizer.toFile());
        ((ObjectNode) json.get("model")).withArray("merges").remove(json.get("model").get("merges").size() - 1);
        Files.writeString(other.resolve("tokenizer.json"), json.toString());
        Path otherData = DialogueFixture.tokens(dir.resolve("other/tokens"), other.resolve("tokenizer.json"), 10, 4);
        FinetuneConfig c = config(dir.resolve("ft-other"));
        StageInputException e = assertThrows(StageInputException.class, () -> FinetuneStage.run(
                new FinetuneConfig(c.checkpoint(), otherData, c.output(), c.trainOn(), null, 0, null, new TrainingSettings(8, 1, 5,
                        1e-3, 1e-4, 0, null, 0.9, 0.95, 1e-8, 0, 1, 5, 4, 5, 1, "cpu", "auto", "auto", "refuse")), false));
        assertTrue(e.getMessage().contains(otherData.resolve("tokenizer.json").toString())
                && e.getMessage().contains(parent.resolve("tokenizer.json").toString()), e.getMessage());
        assertTrue(!Files.exists(dir.resolve("ft-other")), "nothing written");
    }

    /** `finetune --force` into the run folder of its own parent used to delete the parent, then fail reading it. */
    @Test
    void forceIntoTheParentsOwnFolderIsRefusedAndDeletesNothing() throws Exception {
        Path parentsRun = parent.getParent();
        String weights = Hashing.sha256(parent.resolve("model.safetensors"));
        StageInputException e = assertThrows(StageInputException.class,
                () -> FinetuneStage.run(config(parentsRun), true));
        assertTrue(e.getMessage().contains("contains " + parent) && e.getMessage().contains("which finetune reads"),
                e.getMessage());
        assertEquals(weights, Hashing.sha256(parent.resolve("model.safetensors")));
        StageInputException inside = assertThrows(StageInputException.class,
                () -> FinetuneStage.run(config(parent.resolve("ft")), true));
        assertTrue(inside.getMessage().contains("lies inside " + parent), inside.getMessage());
    }

    @Test
    void refusesToReplaceAnExistingRunWithoutForce() {
        StageInputException e = assertThrows(StageInputException.class,
                () -> FinetuneStage.run(config(output, 40, null, 3, "never"), false));
        assertTrue(e.getMessage().contains("--force") && e.getMessage().contains(output.toString()), e.getMessage());
    }

    /**
     * resume: auto, as train has it: a run stopped after 20 steps and started again (with the
     * schedule fixed by lr_decay_steps) ends where an uninterrupted 40-step run ends.
     */
    @Test
    void aStoppedRunResumesToTheSameResultAsAnUninterruptedOne() throws Exception {
        TrainerState whole = FinetuneStage.run(config(dir.resolve("ft-whole"), 40, 40L, 0, "auto"), false).end();
        Path split = dir.resolve("ft-split");
        assertEquals(20, FinetuneStage.run(config(split, 20, 40L, 0, "auto"), false).end().step());
        FinetuneStage.Result resumed = FinetuneStage.run(config(split, 40, 40L, 0, "auto"), false);
        assertEquals(40, resumed.end().step());
        assertEquals(whole.trainLoss(), resumed.end().trainLoss(), 1e-5);
        assertEquals(whole.valLoss(), resumed.end().valLoss(), 1e-5);
        assertEquals(whole.samplerPosition(), resumed.end().samplerPosition());
    }

    @Test
    void startingAFinishedRunAgainTrainsNoFurther() throws Exception {
        long before = TrainerState.read(output.resolve("latest")).step();
        String best = Hashing.sha256(output.resolve("best/model.safetensors"));
        FinetuneStage.Result again = FinetuneStage.run(config(output), false);
        assertEquals(before, again.end().step());
        assertEquals(best, Hashing.sha256(output.resolve("best/model.safetensors")));
    }

    /** A run that stopped early is finished too: resuming it must not train past its early stop. */
    @Test
    void resumingARunThatStoppedEarlyTrainsNoFurther() throws Exception {
        Path run = dir.resolve("ft-early");
        FinetuneStage.run(config(run, 20, 40L, 0, "auto"), false);
        // As if the best validation loss had come at step 0: with patience 1 (10 steps), step 20 is past it.
        // (best/ is made to say so too: resume corrects a state that names another step than best/ holds.)
        TrainerState saved = TrainerState.read(run.resolve("latest"));
        TrainerState bestAtZero = new TrainerState(saved.step(), saved.tokensSeen(), saved.learningRate(),
                saved.trainLoss(), saved.valLoss(), saved.valLoss(), 0, saved.samplerPosition(), saved.seed(),
                saved.elapsedSeconds(), saved.run());
        bestAtZero.write(run.resolve("latest"));
        new TrainerState(0, 0, 0, null, saved.valLoss(), saved.valLoss(), 0, 0, saved.seed(), 0, saved.run())
                .write(run.resolve("best"));
        FinetuneStage.Result again = FinetuneStage.run(config(run, 40, 40L, 1, "auto"), false);
        assertTrue(again.stoppedEarly());
        assertEquals(20, again.end().step());
        assertEquals(20, TrainerState.read(run.resolve("latest")).step());
    }

    /** Runs the CLI with {@code stdin}; returns {exit code, stdout}. */
    private static Object[] cli(String stdin, String... args) {
        InputStream oldIn = System.in;
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Object[] {code, out.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
        }
    }

    @Test
    void aScriptedThreeTurnChatGetsThreeNonEmptyReplies() {
        Object[] r = cli("Hi, I am Ana. Where is my order?\nHi, I am Bo. Can I get a refund?\n/reset\nthanks!\n",
                "chat", "--checkpoint", output.resolve("best").toString(), "--temperature", "0", "--max-new-tokens", "30",
                "--persona", "You are a helpful support agent.");
        assertEquals(0, r[0]);
        List<String> lines = ((String) r[1]).lines().toList();
        assertEquals(4, lines.size(), (String) r[1]); // one per input line; /reset's is empty
        assertEquals("", lines.get(2));
        List<String> replies = List.of(lines.get(0), lines.get(1), lines.get(3));
        for (String reply : replies) {
            assertTrue(!reply.isBlank(), (String) r[1]);
        }
        assertTrue(replies.get(0).startsWith("Hello"), "the fine-tuned model answers like the task's agent: " + replies);
    }

    @Test
    void generatePrintsThePromptAndItsContinuation() {
        String prompt = "<|user|>Hi, I am Ana. Where is my order?<|end|><|agent|>";
        Object[] r = cli("", "generate", "--checkpoint", output.resolve("best").toString(), "--prompt", prompt,
                "--special-tokens", "--temperature", "0", "--max-new-tokens", "12");
        assertEquals(0, r[0]);
        String text = (String) r[1];
        assertTrue(text.startsWith(prompt + "Hello"), text);
    }

    /** Without --special-tokens a prompt is text: the same string is not a turn, so no agent reply follows. */
    @Test
    void generateReadsThePromptAsTextUnlessAskedForSpecialTokens() {
        String prompt = "<|user|>Hi, I am Ana. Where is my order?<|end|><|agent|>";
        java.util.List<String> continuations = new java.util.ArrayList<>();
        for (boolean special : new boolean[] {true, false}) {
            java.util.List<String> args = new java.util.ArrayList<>(List.of("generate", "--checkpoint",
                    output.resolve("best").toString(), "--prompt", prompt, "--temperature", "0", "--max-new-tokens", "12"));
            if (special) {
                args.add("--special-tokens");
            }
            Object[] r = cli("", args.toArray(String[]::new));
            assertEquals(0, r[0]);
            continuations.add(((String) r[1]).substring(prompt.length()));
        }
        assertTrue(continuations.get(0).startsWith("Hello"), continuations.toString());
        assertTrue(!continuations.get(0).equals(continuations.get(1)), continuations.toString());
    }
}
