package dev.chatforge.eval.benchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.Utils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.eval.ContinuationScorer;
import dev.chatforge.eval.EvalConfig;
import dev.chatforge.eval.EvalStage;
import dev.chatforge.eval.Perplexity;
import dev.chatforge.eval.TokenArray;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.model.HubFolder;
import dev.chatforge.model.NativeArrays;
import dev.chatforge.tokenizer.ChatTokenizer;
import dev.chatforge.train.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmarks on files written here in each benchmark's official layout, scored by a small
 * random GPT-2 with GPT-2's real tokenizer; every figure is checked against one computed in the
 * test by other means (the token stream scored with {@link Perplexity} directly, or each
 * sequence run alone through a plain forward with a log-softmax done here).
 */
class BenchmarkEvalTest {
    @TempDir
    static Path dir;
    static Path checkpoint;

    static final String[] WORDS = ("the ship sailed over a calm sea while anne read her letters and the captain spoke of "
            + "the war , the navy and the admiral 's house at kellynch").split(" ");

    @BeforeAll
    static void model() throws Exception {
        checkpoint = dir.resolve("gpt2");
        GPT2Config shape = new GPT2Config(50257, 64, 32, 2, 2, "gelu_new", 0, 0, 0, 1e-5, 0.02);
        try (GPT2 random = GPT2.create(shape, Device.cpu(), 7)) {
            HubFolder.openAiGpt2().write(random, checkpoint);
        }
        Files.copy(Path.of(BenchmarkEvalTest.class.getResource("/gpt2/tokenizer.json").toURI()), checkpoint.resolve("tokenizer.json"));
    }

    static String words(Random random, int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append(i == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        return s.toString();
    }

    /** WikiText's layout: " = Title = " articles, " = = Section = = ", " @-@ ", spaces around punctuation. */
    static String wikitext(Random random, int articles) {
        StringBuilder s = new StringBuilder();
        for (int a = 0; a < articles; a++) {
            s.append(" \n = Article ").append(a).append(" = \n \n ").append(words(random, 20)).append(" @-@ ")
                    .append(words(random, 3)).append(" , ").append(words(random, 25)).append(" . \n \n = = Section = = \n \n ")
                    .append(words(random, 15)).append(" ( ").append(words(random, 3)).append(" ) . \n");
        }
        return s.toString();
    }

    static ObjectNode eval(String benchmark, Path data, String split, Integer stride, int batch) {
        return EvalStage.run(new EvalConfig(checkpoint, null, split, stride, batch, "cpu", "auto", null, benchmark, data, 0, 64), false);
    }

    @Test
    void wikitextThroughDjlOfflineScoresLikeTheSameTextTokenizedAndScoredWithTheStride() throws Exception {
        assertTrue(Utils.isOfflineMode(), "the build runs DJL offline (surefire sets ai.djl.offline)");
        Path folder = dir.resolve("wikitext-2");
        Files.createDirectories(folder);
        Random random = new Random(1);
        for (String part : List.of("train", "valid", "test")) {
            Files.writeString(folder.resolve("wiki." + part + ".tokens"), wikitext(random, 3));
        }
        String test = Files.readString(folder.resolve("wiki.test.tokens"));
        // the parent folder (as unzipped: wikitext-2/wiki.*.tokens) works as well as the inner one
        ObjectNode report = eval("wikitext2", dir, "test", 16, 3);
        ObjectNode inner = eval("wikitext2", folder, null, 16, 3);
        assertEquals(report.get("loss").asDouble(), inner.get("loss").asDouble(), 0);
        assertEquals("test", inner.get("split").asText());

        StringBuilder detokenized = new StringBuilder();
        long words = 0;
        for (String article : WordLevelCorpus.articles(test)) {
            detokenized.append(WikitextDetokenizer.detokenize(article));
            words += article.split("\\s+", -1).length; // Python's len(re.split(r"\s+", page)) on ASCII text
        }
        assertEquals(3, WordLevelCorpus.articles(test).size());
        try (Checkpoint c = Checkpoint.load(checkpoint, Device.cpu());
             ChatTokenizer tokenizer = ChatTokenizer.load(checkpoint.resolve("tokenizer.json"))) {
            int[] text = tokenizer.encode(detokenized.toString());
            int[] ids = new int[text.length + 1];
            ids[0] = tokenizer.endOfTextId();
            System.arraycopy(text, 0, ids, 1, text.length);
            Perplexity.Result direct = Perplexity.evaluate(c.model(), new TokenArray(ids, 50257), 64, 16, 5, null);
            assertEquals(direct.tokens(), report.get("tokens_scored").asLong());
            assertEquals(direct.meanLoss(), report.get("loss").asDouble(), 1e-6);
            assertEquals(Math.exp(direct.lossSumNats() / words), report.get("word_perplexity").asDouble(),
                    1e-6 * report.get("word_perplexity").asDouble());
            assertEquals(direct.lossSumNats() / Math.log(2) / test.getBytes(java.nio.charset.StandardCharsets.UTF_8).length,
                    report.get("bits_per_byte").asDouble(), 1e-6);
        }
        assertEquals(16, report.get("stride").asInt());
        assertEquals(words, report.get("words").asLong());
        assertEquals("wikitext2", report.get("benchmark").asText());
        // a model this narrow is scored in fp32 under auto, and the report says so
        assertEquals("fp32", report.get("precision").asText(), report.toString());
        assertEquals(29.41, publishedFigure(report, "word_perplexity"), 0);
    }

    @Test
    void detokenizerUndoesWikitextSpacingAsTheHarnessDoes() {
        // expected value: the harness's Python function run on this input
        assertEquals("\n= Valkyria =\nthe 2011-12 season, 1,000 (est.) of the players' \"best\" games.\n",
                WikitextDetokenizer.detokenize(" \n = Valkyria = \n the 2011 @-@ 12 season , 1 @,@ 000 ( est . ) of the "
                        + "players ' \" best \" games . \n"));
        assertEquals(3, WordLevelCorpus.words(" a b")); // leading whitespace counts an empty word, as re.split does
    }

    @Test
    void ptbThroughDjlFromALocalFolder() throws Exception {
        Path folder = dir.resolve("ptb");
        Files.createDirectories(folder);
        Random random = new Random(2);
        StringBuilder expected = new StringBuilder();
        for (String part : List.of("train", "valid", "test")) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < 30; i++) {
                s.append(' ').append(words(random, 12)).append(" <unk> N \n");
            }
            Files.writeString(folder.resolve("ptb." + part + ".txt"), s.toString());
            if (part.equals("valid")) {
                expected.append(s.toString().replace(" \n", "\n").replace("\n", " \n"));
            }
        }
        ObjectNode report = eval("ptb", folder, "valid", 32, 4);
        assertEquals(30, report.get("items").asInt());
        String text = Files.readString(folder.resolve("ptb.valid.txt"));
        assertEquals(text.split("\\s+", -1).length, report.get("words").asLong());
        try (Checkpoint c = Checkpoint.load(checkpoint, Device.cpu());
             ChatTokenizer tokenizer = ChatTokenizer.load(checkpoint.resolve("tokenizer.json"))) {
            int[] body = tokenizer.encode(text);
            int[] ids = new int[body.length + 1];
            ids[0] = tokenizer.endOfTextId();
            System.arraycopy(body, 0, ids, 1, body.length);
            Perplexity.Result direct = Perplexity.evaluate(c.model(), new TokenArray(ids, 50257), 64, 32, 2, null);
            assertEquals(direct.meanLoss(), report.get("loss").asDouble(), 1e-6);
        }
    }

    @Test
    void hellaswagAccAndAccNormEqualAnIndependentScoring() throws Exception {
        Random random = new Random(3);
        Path file = dir.resolve("hellaswag_val.jsonl");
        List<String> lines = new ArrayList<>();
        List<JsonNode> items = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            var item = Json.MAPPER.createObjectNode();
            item.put("ind", i).put("activity_label", "Sailing").put("ctx_a", "x").put("ctx_b", "y");
            item.put("ctx", words(random, 4 + random.nextInt(10)));
            var endings = item.putArray("endings");
            for (int e = 0; e < 4; e++) {
                endings.add(words(random, 1 + random.nextInt(8)));
            }
            item.put("source_id", "test~" + i).put("split", "val").put("split_type", "indomain").put("label", random.nextInt(4));
            lines.add(Json.COMPACT.writeValueAsString(item));
            items.add(item);
        }
        Files.write(file, lines);
        ObjectNode report = eval("hellaswag", file, null, null, 3); // batches of 3 split items across batches

        int acc = 0;
        int accNorm = 0;
        try (Checkpoint c = Checkpoint.load(checkpoint, Device.cpu());
             ChatTokenizer tokenizer = ChatTokenizer.load(checkpoint.resolve("tokenizer.json"))) {
            for (JsonNode item : items) {
                int[] ctx = tokenizer.encode(item.get("ctx").asText());
                double[] sums = new double[4];
                double[] means = new double[4];
                for (int e = 0; e < 4; e++) {
                    int[] ending = tokenizer.encode(" " + item.get("endings").get(e).asText());
                    double[] losses = continuationLosses(c.model(), ctx, ending);
                    for (double l : losses) {
                        sums[e] += l;
                    }
                    means[e] = sums[e] / losses.length;
                }
                acc += argmin(sums) == item.get("label").asInt() ? 1 : 0;
                accNorm += argmin(means) == item.get("label").asInt() ? 1 : 0;
            }
        }
        assertEquals(24, report.get("items").asInt());
        assertEquals(acc / 24.0, report.get("acc").asDouble(), 0);
        assertEquals(accNorm / 24.0, report.get("acc_norm").asDouble(), 0);
        assertEquals("val", report.get("split").asText());
        assertEquals(0.2955, publishedFigure(report, "acc_norm"), 0);
    }

    @Test
    void lambadaPerplexityAndGreedyMatchEqualAnIndependentScoring() throws Exception {
        Random random = new Random(4);
        Path file = dir.resolve("lambada_test.jsonl");
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            texts.add(words(random, 10 + random.nextInt(20)) + " " + WORDS[random.nextInt(WORDS.length)]);
        }
        List<String> lines = new ArrayList<>();
        for (String t : texts) {
            lines.add(Json.COMPACT.writeValueAsString(Map.of("text", t)));
        }
        Files.write(file, lines);
        ObjectNode report = eval("lambada", dir, null, null, 4); // the folder: lambada_test.jsonl inside it

        double lossSum = 0;
        try (Checkpoint c = Checkpoint.load(checkpoint, Device.cpu());
             ChatTokenizer tokenizer = ChatTokenizer.load(checkpoint.resolve("tokenizer.json"))) {
            for (String t : texts) {
                int space = t.lastIndexOf(' ');
                for (double l : continuationLosses(c.model(), tokenizer.encode(t.substring(0, space)),
                        tokenizer.encode(t.substring(space)))) {
                    lossSum += l;
                }
            }
        }
        assertEquals(10, report.get("items").asInt());
        assertEquals(Math.exp(lossSum / 10), report.get("perplexity").asDouble(), 1e-4 * report.get("perplexity").asDouble());
        assertEquals(35.13, publishedFigure(report, "perplexity"), 0);
    }

    @Test
    void greedyMatchIsTrueExactlyWhenEveryTargetTokenIsTheArgmax() throws Exception {
        try (Checkpoint c = Checkpoint.load(checkpoint, Device.cpu())) {
            GPT2 model = c.model();
            int[] context = {464, 3290, 318, 257};
            // the model's own greedy continuation, two tokens long, then the same with its second token changed
            int first = argmax(logitsAfter(model, context));
            int second = argmax(logitsAfter(model, new int[] {464, 3290, 318, 257, first}));
            List<ContinuationScorer.Request> requests = List.of(
                    new ContinuationScorer.Request(context, new int[] {first, second}),
                    new ContinuationScorer.Request(context, new int[] {first, (second + 1) % 50257}),
                    new ContinuationScorer.Request(new int[] {11}, new int[] {first, second}));
            List<ContinuationScorer.Scored> scored = ContinuationScorer.score(model, requests, 2, true, null);
            assertTrue(scored.get(0).greedy());
            assertTrue(!scored.get(1).greedy());
            double[] independent = continuationLosses(model, context, new int[] {first, second});
            assertEquals(independent[0], scored.get(0).losses()[0], 1e-4);
            assertEquals(independent[1], scored.get(0).losses()[1], 1e-4);
        }
    }

    @Test
    void aFileInTheWrongLayoutNamesFileLineAndField() throws Exception {
        Path bad = dir.resolve("bad_hellaswag.jsonl");
        Files.writeString(bad, "{\"ctx\": \"a\", \"endings\": [\"b\", \"c\", \"d\", \"e\"], \"label\": 1}\n"
                + "{\"ctx\": \"a\", \"endings\": [\"b\", \"c\"], \"label\": 1}\n");
        StageInputException e = assertThrows(StageInputException.class, () -> eval("hellaswag", bad, null, null, 4));
        assertTrue(e.getMessage().startsWith(bad + ":2: field 'endings': expected an array of 4"), e.getMessage());

        Path lambadaAsHellaswag = dir.resolve("wrong.jsonl");
        Files.writeString(lambadaAsHellaswag, "\n{\"text\": \"a passage and its word\"}\n");
        e = assertThrows(StageInputException.class, () -> eval("hellaswag", lambadaAsHellaswag, null, null, 4));
        assertTrue(e.getMessage().startsWith(lambadaAsHellaswag + ":2: field 'ctx': expected a string"), e.getMessage());

        e = assertThrows(StageInputException.class, () -> eval("lambada", bad, null, null, 4));
        assertTrue(e.getMessage().startsWith(bad + ":1: field 'text': expected a string"), e.getMessage());
    }

    @Test
    void aMissingBenchmarkFolderWhileOfflineSaysHowToProvideIt() {
        Path missing = dir.resolve("no-such-wikitext");
        StageInputException e = assertThrows(StageInputException.class, () -> eval("wikitext2", missing, null, null, 4));
        assertTrue(e.getMessage().contains(missing + ": benchmark folder not found"), e.getMessage());
        assertTrue(e.getMessage().contains("DJL is offline"), e.getMessage());
        assertTrue(e.getMessage().contains("set eval.benchmark_data to the folder that holds wiki.train.tokens"), e.getMessage());
        assertTrue(e.getMessage().contains("DJL_OFFLINE=false"), e.getMessage());

        e = assertThrows(StageInputException.class, () -> eval("ptb", dir.resolve("no-such-ptb"), null, null, 4));
        assertTrue(e.getMessage().contains("ptb.train.txt, ptb.valid.txt, ptb.test.txt"), e.getMessage());
    }

    private static double publishedFigure(ObjectNode report, String metric) {
        for (JsonNode p : report.get("published")) {
            if (p.get("metric").asText().equals(metric)) {
                assertTrue(p.get("source").asText().contains("124M"), p.toString());
                return p.get("value").asDouble();
            }
        }
        throw new AssertionError("no published " + metric + " in " + report);
    }

    /** −ln p of each continuation token: one sequence, a plain forward, the log-softmax done here in double. */
    static double[] continuationLosses(GPT2 model, int[] context, int[] continuation) {
        int[] full = new int[context.length + continuation.length];
        System.arraycopy(context, 0, full, 0, context.length);
        System.arraycopy(continuation, 0, full, context.length, continuation.length);
        int t = full.length - 1;
        int vocab = model.config().vocabSize();
        float[] logits;
        try (NDManager m = model.manager().newSubManager()) {
            logits = model.forward(NativeArrays.of(m, java.util.Arrays.copyOf(full, t), new Shape(1, t)), false).toFloatArray();
        }
        double[] out = new double[continuation.length];
        for (int k = 0; k < continuation.length; k++) {
            int position = context.length - 1 + k;
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocab; v++) {
                max = Math.max(max, logits[position * vocab + v]);
            }
            double sum = 0;
            for (int v = 0; v < vocab; v++) {
                sum += Math.exp(logits[position * vocab + v] - max);
            }
            out[k] = max + Math.log(sum) - logits[position * vocab + full[position + 1]];
        }
        return out;
    }

    private static float[] logitsAfter(GPT2 model, int[] tokens) {
        try (NDManager m = model.manager().newSubManager()) {
            float[] all = model.forward(NativeArrays.of(m, tokens, new Shape(1, tokens.length)), false).toFloatArray();
            int vocab = model.config().vocabSize();
            return java.util.Arrays.copyOfRange(all, (tokens.length - 1) * vocab, tokens.length * vocab);
        }
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    private static int argmin(double[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] < values[best]) {
                best = i;
            }
        }
        return best;
    }
}
