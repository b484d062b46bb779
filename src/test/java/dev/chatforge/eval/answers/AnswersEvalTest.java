package dev.chatforge.eval.answers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.cli.Main;
import dev.chatforge.eval.EvalConfig;
import dev.chatforge.eval.EvalStage;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.model.HubFolder;
import dev.chatforge.tokenizer.ChatTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * eval.answers end to end: dialogues prepared and tokenized by the real stages, a small random
 * GPT-2 whose vocabulary holds the chat template's tokens, and the answers.jsonl it writes
 * checked line by line against the prepared dialogues and against ROUGE-L recomputed here.
 */
class AnswersEvalTest {
    @TempDir
    static Path dir;
    static Path checkpoint;

    @BeforeAll
    static void data() throws Exception {
        Path gpt2Tokenizer = Path.of(AnswersEvalTest.class.getResource("/gpt2/tokenizer.json").toURI());
        List<String> dialogues = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            dialogues.add(Json.COMPACT.writeValueAsString(Map.of("messages", List.of(
                    Map.of("role", "system", "content", "You are a support agent."),
                    Map.of("role", "user", "content", "Where is order " + i + "?"),
                    Map.of("role", "agent", "content", "Order " + i + " ships on Monday."),
                    Map.of("role", "user", "content", "Thanks, and a refund for order " + (i + 7) + "?"),
                    Map.of("role", "agent", "content", "Refunds take five days.")))));
        }
        Files.createDirectories(dir.resolve("raw"));
        Files.write(dir.resolve("raw/dialogues.jsonl"), dialogues);
        Files.createDirectories(dir.resolve("books"));
        StringBuilder book = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            book.append("Paragraph ").append(i).append(" of a plain book, with no turns at all.\n\n");
        }
        Files.writeString(dir.resolve("books/book.txt"), book.toString());
        Path yaml = dir.resolve("answers.yaml");
        Files.writeString(yaml, String.join("\n",
                "pipeline: [prepare, tokenize, prepare/books, tokenize/books]",
                "prepare: {inputs: [{path: " + dir.resolve("raw") + "}], output: " + dir.resolve("prepared") + ", val_fraction: 0.25}",
                "tokenize: {input: " + dir.resolve("prepared") + ", output: " + dir.resolve("tokens") + ", tokenizer: " + gpt2Tokenizer + "}",
                "prepare/books: {inputs: [{path: " + dir.resolve("books") + "}], output: " + dir.resolve("books-prepared")
                        + ", val_fraction: 0.3}",
                "tokenize/books: {input: " + dir.resolve("books-prepared") + ", output: " + dir.resolve("books-tokens")
                        + ", tokenizer: " + dir.resolve("tokens/tokenizer.json") + "}",
                ""));
        assertEquals(0, Main.run(new String[] {"pipeline", "--config", yaml.toString()}));

        // a random model over the tokenizer with the template's tokens appended (as finetune would grow one)
        Path tokenizer = dir.resolve("tokens/tokenizer.json");
        int vocab;
        try (ChatTokenizer t = ChatTokenizer.load(tokenizer)) {
            vocab = t.vocabSize();
        }
        checkpoint = dir.resolve("model");
        try (GPT2 random = GPT2.create(new GPT2Config(vocab, 128, 32, 2, 2, "gelu_new", 0, 0, 0, 1e-5, 0.02), Device.cpu(), 9)) {
            HubFolder.openAiGpt2().write(random, checkpoint);
        }
        Files.copy(tokenizer, checkpoint.resolve("tokenizer.json"));
    }

    static EvalConfig config(Path data, int answers, Path report) {
        return new EvalConfig(checkpoint, data, null, null, 4, "cpu", "auto", report, null, null, answers, 12);
    }

    @Test
    void writesAnswersBesideTheReportScoredAsAnIndependentLcsScoresThem() throws Exception {
        Path report = dir.resolve("out/eval-support.json");
        Files.createDirectories(report.getParent());
        ObjectNode result = EvalStage.run(config(dir.resolve("tokens"), 5, report), false);
        Path file = dir.resolve("out/answers-support.jsonl");
        List<String> lines = Files.readAllLines(file);
        assertEquals(5, lines.size());

        // the first five agent turns that answer a user turn in the prepared val.jsonl, in file order
        List<JsonNode> expected = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("prepared/val.jsonl"))) {
            JsonNode messages = Json.MAPPER.readTree(line).get("messages");
            for (int i = 1; i < messages.size(); i++) {
                if (messages.get(i).get("role").asText().equals("agent") && messages.get(i - 1).get("role").asText().equals("user")) {
                    expected.add(Json.MAPPER.createObjectNode().put("turn", i).put("reference", messages.get(i).get("content").asText())
                            .set("last", messages.get(i - 1)));
                }
            }
        }
        double sum = 0;
        for (int k = 0; k < 5; k++) {
            JsonNode a = Json.MAPPER.readTree(lines.get(k));
            assertEquals(expected.get(k).get("reference").asText(), a.get("reference").asText());
            assertEquals(expected.get(k).get("turn").asInt(), a.get("turn").asInt());
            JsonNode context = a.get("context");
            assertEquals(expected.get(k).get("turn").asInt(), context.size());
            assertEquals(expected.get(k).get("last").get("content").asText(), context.get(context.size() - 1).get("content").asText());
            assertTrue(a.get("generated").isTextual());
            double rouge = independentRougeL(a.get("reference").asText(), a.get("generated").asText());
            assertEquals(rouge, a.get("rouge_l").asDouble(), 1e-12);
            sum += rouge;
        }
        JsonNode means = Json.MAPPER.readTree(report.toFile()).get("answers");
        assertEquals(result.get("answers"), means);
        assertEquals(5, means.get("turns").asInt());
        assertEquals(sum / 5, means.get("rouge_l").asDouble(), 1e-12);
        assertEquals("answers-support.jsonl", means.get("file").asText());
        assertTrue(Json.MAPPER.readTree(report.toFile()).has("perplexity"), "the section's perplexity is still reported");

        // the same checkpoint answers the same turns the same way (greedy)
        Path again = dir.resolve("again/eval.json");
        Files.createDirectories(again.getParent());
        EvalStage.run(config(dir.resolve("tokens"), 5, again), false);
        assertEquals(lines, Files.readAllLines(dir.resolve("again/answers.jsonl")));
    }

    @Test
    void answersBesideTheReportReplaceOnlyAnswersEvalWroteAndOnlyWithForce() throws Exception {
        Path report = dir.resolve("owned/eval.json");
        Path answers = dir.resolve("owned/answers.jsonl");
        Files.createDirectories(report.getParent());
        Files.writeString(answers, "my own notes\n");
        // a user's file under the answers name is refused, --force or not, before any scoring
        for (boolean force : new boolean[] {false, true}) {
            RuntimeException e = assertThrows(RuntimeException.class,
                    () -> EvalStage.run(config(dir.resolve("tokens"), 2, report), force));
            assertTrue(e.getMessage().contains(answers.toString()), e.getMessage());
            assertEquals("my own notes\n", Files.readString(answers));
            assertTrue(!Files.exists(report), "no report without its answers");
        }
        Files.delete(answers);
        EvalStage.run(config(dir.resolve("tokens"), 2, report), false);
        List<String> first = Files.readAllLines(answers);
        assertEquals(2, first.size());
        // an existing report and answers need --force, and then both are replaced
        assertThrows(RuntimeException.class, () -> EvalStage.run(config(dir.resolve("tokens"), 3, report), false));
        assertEquals(first, Files.readAllLines(answers));
        EvalStage.run(config(dir.resolve("tokens"), 3, report), true);
        assertEquals(3, Files.readAllLines(answers).size());
        assertEquals(3, Json.MAPPER.readTree(report.toFile()).get("answers").get("turns").asInt());
    }

    @Test
    void dataWithoutAgentTurnsSaysSo() throws Exception {
        Path report = dir.resolve("books-out/eval.json");
        Files.createDirectories(report.getParent());
        StageInputException e = assertThrows(StageInputException.class,
                () -> EvalStage.run(config(dir.resolve("books-tokens"), 5, report), false));
        assertTrue(e.getMessage().contains("has no agent turn that answers a user turn"), e.getMessage());
        assertTrue(e.getMessage().contains("books-prepared/val.jsonl"), e.getMessage());
        assertTrue(!Files.exists(report) && !Files.exists(dir.resolve("books-out/answers.jsonl")), "nothing half-written");
    }

    /** ROUGE-L F1 from scratch: rouge-score's tokens, an LCS table, F = 2PR / (P + R). */
    static double independentRougeL(String reference, String generated) {
        String[] r = reference.toLowerCase().replaceAll("[^a-z0-9]+", " ").trim().split(" ");
        String[] g = generated.toLowerCase().replaceAll("[^a-z0-9]+", " ").trim().split(" ");
        if (r[0].isEmpty() || g[0].isEmpty()) {
            return 0;
        }
        int[][] t = new int[r.length + 1][g.length + 1];
        for (int i = 1; i <= r.length; i++) {
            for (int j = 1; j <= g.length; j++) {
                t[i][j] = r[i - 1].equals(g[j - 1]) ? t[i - 1][j - 1] + 1 : Math.max(t[i - 1][j], t[i][j - 1]);
            }
        }
        int lcs = t[r.length][g.length];
        if (lcs == 0) {
            return 0;
        }
        double p = (double) lcs / g.length;
        double rec = (double) lcs / r.length;
        return 2 * p * rec / (p + rec);
    }
}
