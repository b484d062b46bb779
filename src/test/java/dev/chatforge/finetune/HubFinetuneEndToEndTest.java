package dev.chatforge.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.cli.Main;
import dev.chatforge.io.Json;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.model.HubFolder;
import dev.chatforge.train.Checkpoint;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The path of a user who starts from a pretrained GPT-2: a Hub-layout folder (F16 weights with
 * mask buffers, GPT-2's real tokenizer.json, no trainer state) goes through prepare → tokenize
 * (tokenizer: HUB/tokenizer.json) → finetune (checkpoint: HUB) → eval → generate → chat with no
 * hand editing.
 */
class HubFinetuneEndToEndTest {
    @TempDir
    static Path dir;
    static Path hub;
    static Path yaml;
    static int pipelineExit;
    static String pipelineErr;

    static Path gpt2Tokenizer() throws URISyntaxException {
        return Path.of(HubFinetuneEndToEndTest.class.getResource("/gpt2/tokenizer.json").toURI());
    }

    @BeforeAll
    static void pipeline() throws Exception {
        hub = dir.resolve("gpt2");
        GPT2Config shape = new GPT2Config(50257, 64, 32, 2, 2, "gelu_new", 0, 0, 0, 1e-5, 0.02);
        try (GPT2 random = GPT2.create(shape, Device.cpu(), 3)) {
            new HubFolder("F16", false, true, false, 1).write(random, hub);
        }
        Files.copy(gpt2Tokenizer(), hub.resolve("tokenizer.json"));

        Path raw = dir.resolve("raw/dialogues.jsonl");
        Files.createDirectories(raw.getParent());
        List<String> lines = new ArrayList<>();
        Random random = new Random(5);
        for (int i = 0; i < 120; i++) {
            String[] qa = DialogueFixture.QA[random.nextInt(DialogueFixture.QA.length)];
            String name = DialogueFixture.NAMES[random.nextInt(DialogueFixture.NAMES.length)];
            lines.add(Json.COMPACT.writeValueAsString(java.util.Map.of("user", "Hi, I am " + name + ". " + qa[0],
                    "agent", "Hello " + name + ". " + qa[1])));
        }
        Files.write(raw, lines);

        yaml = dir.resolve("gpt2.yaml");
        Files.writeString(yaml, String.join("\n",
                "pipeline: [prepare, tokenize, eval/before, finetune, eval]",
                "prepare: {inputs: [{path: " + raw + "}], output: " + dir.resolve("prepared") + ", val_fraction: 0.15}",
                "tokenize: {input: " + dir.resolve("prepared") + ", output: " + dir.resolve("tokens")
                        + ", tokenizer: " + hub.resolve("tokenizer.json") + "}",
                "finetune: {checkpoint: " + hub + ", data: " + dir.resolve("tokens") + ", output: " + dir.resolve("ft")
                        + ", block_size: 32, batch_size: 4, max_steps: 12, learning_rate: 5.0e-3, warmup_steps: 2,"
                        + " eval_interval: 6, eval_windows: 8, patience: 0, log_interval: 3, device: cpu}",
                "eval/before: {checkpoint: " + hub + ", data: " + dir.resolve("tokens") + ", report: "
                        + dir.resolve("eval-before.json") + ", device: cpu}",
                "eval: {checkpoint: " + dir.resolve("ft/best") + ", data: " + dir.resolve("tokens") + ", report: "
                        + dir.resolve("eval.json") + ", device: cpu}",
                ""));
        Object[] r = cli("", "pipeline", "--config", yaml.toString());
        pipelineExit = (int) r[0];
        pipelineErr = (String) r[2];
    }

    /** Runs the CLI with {@code stdin}; returns {exit code, stdout, stderr}. */
    static Object[] cli(String stdin, String... args) {
        InputStream oldIn = System.in;
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Object[] {code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void theWholeChainRunsAndSaysWhatItAppended() {
        assertEquals(0, pipelineExit, pipelineErr);
        assertTrue(pipelineErr.contains("lacks special token(s) [<|system|>, <|user|>, <|agent|>, <|end|>]: appended them "
                + "as ids 50257..50260"), pipelineErr);
        assertTrue(pipelineErr.contains("token embedding grown from 50257 to 50261 rows"), pipelineErr);
    }

    @Test
    void fineTuningLowersTheValidationLossAndRecordsTheGrowth() throws Exception {
        JsonNode stats = Json.MAPPER.readTree(dir.resolve("ft/manifest.json").toFile()).path("stats");
        assertTrue(stats.path("best_val_loss").asDouble() < stats.path("initial_val_loss").asDouble() - 0.5, stats.toString());
        assertEquals("[\"<|system|>\",\"<|user|>\",\"<|agent|>\",\"<|end|>\"]", stats.path("appended_special_tokens").toString());
        JsonNode run = Json.MAPPER.readTree(dir.resolve("ft/best/trainer_state.json").toFile()).path("run");
        assertEquals(50257, run.path("base_vocab_size").asInt());
        assertEquals(50261, GPT2Config.read(dir.resolve("ft/best")).vocabSize());
        JsonNode before = Json.MAPPER.readTree(dir.resolve("eval-before.json").toFile());
        JsonNode after = Json.MAPPER.readTree(dir.resolve("eval.json").toFile());
        assertEquals(before.path("tokens_scored").asLong(), after.path("tokens_scored").asLong());
        assertTrue(after.path("loss").asDouble() < before.path("loss").asDouble() - 0.5, before + " -> " + after);
    }

    @Test
    void theFineTunedFolderCarriesWhatTransformersReads() throws Exception {
        Path best = dir.resolve("ft/best");
        JsonNode config = Json.MAPPER.readTree(best.resolve("config.json").toFile());
        assertEquals("gpt2", config.path("model_type").asText());
        assertEquals("GPT2LMHeadModel", config.path("architectures").get(0).asText());
        assertEquals(50261, config.path("vocab_size").asInt());
        JsonNode tokenizerConfig = Json.MAPPER.readTree(best.resolve("tokenizer_config.json").toFile());
        assertTrue(tokenizerConfig.path("chat_template").asText().contains("<|agent|>"), tokenizerConfig.toString());
        assertEquals("<|end|>", tokenizerConfig.path("added_tokens_decoder").path("50260").path("content").asText());
        assertEquals("[50260,50256]", Json.MAPPER.readTree(best.resolve("generation_config.json").toFile())
                .path("eos_token_id").toString());
    }

    @Test
    void aLongerRunResumesTheGrownModel() throws Exception {
        Object[] r = cli("", "finetune", "--config", yaml.toString(), "--set", "finetune.output=" + dir.resolve("ft-resume"),
                "--set", "finetune.max_steps=2", "--set", "finetune.eval_interval=2",
                "--set", "finetune.lr_decay_steps=4");
        assertEquals(0, r[0], (String) r[2]);
        r = cli("", "finetune", "--config", yaml.toString(), "--set", "finetune.output=" + dir.resolve("ft-resume"),
                "--set", "finetune.max_steps=4", "--set", "finetune.eval_interval=2",
                "--set", "finetune.lr_decay_steps=4");
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[2]).contains("resuming"), (String) r[2]);
        JsonNode state = Json.MAPPER.readTree(dir.resolve("ft-resume/latest/trainer_state.json").toFile());
        assertEquals(4, state.path("step").asInt());
        assertEquals(50261, GPT2Config.read(dir.resolve("ft-resume/latest")).vocabSize());
    }

    @Test
    void newEmbeddingRowsStartAsTheMeanOfTheOldOnes() {
        try (Checkpoint c = Checkpoint.load(hub, Device.cpu()).withVocabSize(50261)) {
            float[] wte = c.model().parameters().get("transformer.wte.weight").toFloatArray();
            int width = 32;
            for (int col = 0; col < width; col++) {
                double mean = 0;
                for (int row = 0; row < 50257; row++) {
                    mean += wte[row * width + col];
                }
                mean /= 50257;
                for (int row = 50257; row < 50261; row++) {
                    assertEquals(mean, wte[row * width + col], 1e-6);
                }
            }
        }
    }

    @Test
    void generateOnTheHubFolderItselfStopsAtTheTokensItHas() {
        // The Hub's gpt2 has <|endoftext|> but no <|end|>: the default stop tokens are those it has.
        Object[] r = cli("", "generate", "--checkpoint", hub.toString(), "--prompt", "Hello", "--max-new-tokens", "5",
                "--temperature", "0");
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[1]).startsWith("Hello"), (String) r[1]);
    }

    @Test
    void theFineTunedModelChats() {
        Object[] r = cli("Hi, I am Ana. Where is my order?\nthanks!\n", "chat", "--checkpoint",
                dir.resolve("ft/best").toString(), "--temperature", "0", "--max-new-tokens", "20");
        assertEquals(0, r[0], (String) r[2]);
        assertEquals(2, ((String) r[1]).lines().count(), (String) r[1]);
    }

    @Test
    void chatOnTheHubFolderItselfSaysToFineTuneOrGenerate() {
        Object[] r = cli("hello\n", "chat", "--checkpoint", hub.toString(), "--temperature", "0");
        String err = (String) r[2];
        assertEquals(1, r[0], err);
        assertTrue(err.contains("<|user|>") && err.contains("chatforge finetune") && err.contains("chatforge generate"), err);
        assertEquals("", r[1], "nothing is answered");
    }

    @Test
    void aPersonaLongerThanTheContextIsRefusedAtStartWithItsLength() {
        Object[] r = cli("hello\n", "chat", "--checkpoint", dir.resolve("ft/best").toString(), "--temperature", "0",
                "--persona", "You are a very patient agent. ".repeat(20));
        String err = (String) r[2];
        assertEquals(2, r[0], err);
        assertTrue(err.contains("persona") && err.contains("tokens") && err.contains("attends to 64 tokens"), err);
        assertEquals("", r[1], "nothing is answered");
    }
}
