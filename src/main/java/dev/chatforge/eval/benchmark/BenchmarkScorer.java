package dev.chatforge.eval.benchmark;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.eval.ContinuationScorer;
import dev.chatforge.eval.Perplexity;
import dev.chatforge.eval.TokenArray;
import dev.chatforge.io.Json;
import dev.chatforge.io.Progress;
import dev.chatforge.model.GPT2;
import dev.chatforge.tokenizer.ChatTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Scores a checkpoint on one benchmark and returns the figures as report fields. The model and
 * its tokenizer come from the caller (the eval stage loads them from the checkpoint); each
 * benchmark reads its own official layout.
 */
public final class BenchmarkScorer {
    private BenchmarkScorer() {}

    /**
     * @param data      the benchmark's folder (WikiText-2, PTB; null: DJL's repository) or file
     *                  (LAMBADA, HellaSwag; a folder holding the usual file name works too)
     * @param stride    sliding-window stride for WikiText-2 and PTB (block size: non-overlapping)
     * @param batchSize windows or sequences per forward pass
     */
    public static ObjectNode score(Benchmark benchmark, Path data, String split, GPT2 model, ChatTokenizer tokenizer,
                                   int stride, int batchSize) {
        return switch (benchmark) {
            case WIKITEXT2, PTB -> wordLevel(WordLevelCorpus.load(benchmark, data, split), model, tokenizer, stride, batchSize);
            case LAMBADA -> lambada(LambadaItem.read(file(data, "lambada_" + split + ".jsonl")), model, tokenizer, batchSize);
            case HELLASWAG -> hellaswag(HellaSwagItem.read(file(data, "hellaswag_" + split + ".jsonl")), model, tokenizer, batchSize);
        };
    }

    /** A file as given, or the benchmark's usual file name inside a folder given. */
    static Path file(Path data, String usualName) {
        if (data == null) {
            throw new dev.chatforge.io.StageInputException("key 'eval.benchmark_data': required for this benchmark (the "
                    + usualName + " file, or the folder holding it)");
        }
        return java.nio.file.Files.isDirectory(data) ? data.resolve(usualName) : data;
    }

    /**
     * Per-token perplexity with sliding windows over the whole text (an end-of-text token first,
     * so every text token is scored, as the harness's rolling log-likelihood does), word
     * perplexity exp(total loss / words) and bits per byte (total loss in bits / UTF-8 bytes).
     */
    static ObjectNode wordLevel(WordLevelCorpus corpus, GPT2 model, ChatTokenizer tokenizer, int stride, int batchSize) {
        int[] ids = withEndOfText(tokenizer, tokenizer.encode(corpus.scored()));
        int block = model.config().nPositions();
        Perplexity.Result result;
        try (Progress progress = new Progress("benchmark", ids.length - 1, "tok")) {
            result = Perplexity.evaluate(model, new TokenArray(ids, tokenizer.vocabSize()), block, stride, batchSize, progress);
        }
        ObjectNode r = Json.MAPPER.createObjectNode();
        r.put("file", corpus.file().toString());
        r.put("items", corpus.items());
        r.put("tokens_scored", result.tokens());
        r.put("loss", result.meanLoss());
        r.put("perplexity", result.perplexity());
        r.put("word_perplexity", Math.exp(result.lossSumNats() / corpus.words()));
        r.put("bits_per_byte", result.lossSumNats() / Math.log(2) / corpus.bytes());
        r.put("words", corpus.words());
        r.put("text_bytes", corpus.bytes());
        r.put("block_size", block);
        r.put("stride", stride);
        r.put("tokens_per_sec", Math.round(result.tokens() / result.seconds()));
        return r;
    }

    /**
     * Last-word accuracy (every target token the model's greedy choice) and perplexity
     * exp(mean over passages of the target's summed loss), as lm-evaluation-harness's
     * lambada_openai reports them.
     */
    static ObjectNode lambada(List<LambadaItem> items, GPT2 model, ChatTokenizer tokenizer, int batchSize) {
        List<ContinuationScorer.Request> requests = new ArrayList<>();
        for (LambadaItem item : items) {
            requests.add(new ContinuationScorer.Request(tokenizer.encode(item.context()), tokenizer.encode(item.target())));
        }
        long start = System.nanoTime();
        List<ContinuationScorer.Scored> scored;
        try (Progress progress = new Progress("lambada", requests.size(), "items")) {
            scored = ContinuationScorer.score(model, requests, batchSize, true, progress);
        }
        double lossSum = 0;
        long correct = 0;
        long tokens = 0;
        for (ContinuationScorer.Scored s : scored) {
            lossSum += s.sum();
            correct += s.greedy() ? 1 : 0;
            tokens += s.losses().length;
        }
        ObjectNode r = Json.MAPPER.createObjectNode();
        r.put("items", items.size());
        r.put("accuracy", (double) correct / items.size());
        r.put("perplexity", Math.exp(lossSum / items.size()));
        r.put("target_tokens", tokens);
        r.put("seconds", Math.round((System.nanoTime() - start) / 1e7) / 100.0);
        return r;
    }

    /**
     * llm.c's completion style: each ending scored after the context (the tokens of {@code ctx},
     * then those of {@code " " + ending}); acc picks the ending with the least summed loss,
     * acc_norm the least mean loss per token. Ties go to the first ending, as argmin does.
     */
    static ObjectNode hellaswag(List<HellaSwagItem> items, GPT2 model, ChatTokenizer tokenizer, int batchSize) {
        List<ContinuationScorer.Request> requests = new ArrayList<>();
        for (HellaSwagItem item : items) {
            int[] context = tokenizer.encode(item.context());
            for (String ending : item.endings()) {
                requests.add(new ContinuationScorer.Request(context, tokenizer.encode(" " + ending)));
            }
        }
        long start = System.nanoTime();
        List<ContinuationScorer.Scored> scored;
        try (Progress progress = new Progress("hellaswag", requests.size(), "endings")) {
            scored = ContinuationScorer.score(model, requests, batchSize, false, progress);
        }
        long acc = 0;
        long accNorm = 0;
        for (int i = 0; i < items.size(); i++) {
            List<ContinuationScorer.Scored> four = scored.subList(4 * i, 4 * i + 4);
            acc += argmin(four, false) == items.get(i).label() ? 1 : 0;
            accNorm += argmin(four, true) == items.get(i).label() ? 1 : 0;
        }
        ObjectNode r = Json.MAPPER.createObjectNode();
        r.put("items", items.size());
        r.put("acc", (double) acc / items.size());
        r.put("acc_norm", (double) accNorm / items.size());
        r.put("seconds", Math.round((System.nanoTime() - start) / 1e7) / 100.0);
        return r;
    }

    static int argmin(List<ContinuationScorer.Scored> endings, boolean mean) {
        int best = 0;
        for (int e = 1; e < endings.size(); e++) {
            double v = mean ? endings.get(e).mean() : endings.get(e).sum();
            double b = mean ? endings.get(best).mean() : endings.get(best).sum();
            if (v < b) {
                best = e;
            }
        }
        return best;
    }

    private static int[] withEndOfText(ChatTokenizer tokenizer, int[] ids) {
        int[] out = new int[ids.length + 1];
        out[0] = tokenizer.endOfTextId();
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }
}
