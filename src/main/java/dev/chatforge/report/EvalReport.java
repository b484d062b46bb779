package dev.chatforge.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A report of {@code chatforge eval} kept in a run folder ({@code eval*.json}, e.g. the smoke
 * pipeline's {@code eval.json} and {@code eval-support.json}): the perplexity of a tokenized
 * split, or a standard benchmark's figures, and the mean scores of generated answers when the
 * section asked for them.
 *
 * @param file         the report's file name
 * @param checkpoint   the checkpoint evaluated, as recorded
 * @param step         its training step, or null
 * @param data         the tokenized data folder (or the benchmark's data), as recorded
 * @param split        the split scored
 * @param scored       which tokens were scored (all, or agent tokens only)
 * @param tokensScored how many
 * @param loss         mean loss in nats/token, or null (HellaSwag, LAMBADA report none)
 * @param perplexity   exp(loss), or LAMBADA's target perplexity, or null
 * @param bitsPerByte  bits per UTF-8 byte of text, or null when unknown
 * @param benchmark    the benchmark's name (wikitext2, ptb, lambada, hellaswag), or null
 * @param items        a benchmark's number of items, or null
 * @param figures      a benchmark's figures by metric name, in report order (empty otherwise)
 * @param published    the published figures it compares with
 * @param answers      the means of {@code eval.answers}, or null
 */
public record EvalReport(String file, String checkpoint, Long step, String data, String split, String scored,
                         long tokensScored, Double loss, Double perplexity, Double bitsPerByte, String benchmark,
                         Long items, Map<String, Double> figures, List<Published> published, Answers answers) {

    /** The metrics a benchmark report may carry, in the order tables show them. */
    public static final List<String> BENCHMARK_METRICS =
            List.of("perplexity", "word_perplexity", "bits_per_byte", "accuracy", "acc", "acc_norm");

    /** A published figure a benchmark result compares with. */
    public record Published(String metric, double value, String source) {}

    /**
     * Means over generated answers and the answers.jsonl beside the report.
     *
     * @param file the answers file, resolved against the report's folder
     */
    public record Answers(int turns, double rougeL, double tokenF1, double exactMatch, Path file) {}

    /** Every {@code eval*.json} in {@code dir}, by file name. */
    public static List<EvalReport> findIn(Path dir) {
        List<EvalReport> reports = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                if (name.startsWith("eval") && name.endsWith(".json") && Files.isRegularFile(file)) {
                    reports.add(read(file));
                }
            }
        } catch (IOException e) {
            throw new StageInputException(dir + ": cannot list: " + e.getMessage(), e);
        }
        return reports;
    }

    public static EvalReport read(Path file) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new StageInputException(file + ": not a valid eval report: " + e.getMessage(), e);
        }
        String benchmark = node != null && node.path("benchmark").isTextual() ? node.get("benchmark").asText() : null;
        for (String key : benchmark == null ? new String[] {"loss", "perplexity"} : new String[] {"items"}) {
            if (node == null || !node.path(key).isNumber()) {
                throw new StageInputException(file + ": key '" + key + "': expected a number (is this a report of "
                        + "`chatforge eval`?)");
            }
        }
        Map<String, Double> figures = new LinkedHashMap<>();
        List<Published> published = new ArrayList<>();
        if (benchmark != null) {
            for (String metric : BENCHMARK_METRICS) {
                if (node.path(metric).isNumber()) {
                    figures.put(metric, node.get(metric).asDouble());
                }
            }
            for (JsonNode p : node.path("published")) {
                published.add(new Published(p.path("metric").asText(), p.path("value").asDouble(), p.path("source").asText()));
            }
        }
        Answers answers = null;
        JsonNode a = node.path("answers");
        if (a.isObject()) {
            if (!a.path("rouge_l").isNumber() || !a.path("file").isTextual()) {
                throw new StageInputException(file + ": key 'answers': expected rouge_l and file");
            }
            Path dir = file.toAbsolutePath().getParent();
            answers = new Answers(a.path("turns").asInt(), a.get("rouge_l").asDouble(), a.path("token_f1").asDouble(),
                    a.path("exact_match").asDouble(), dir.resolve(a.get("file").asText()));
        }
        return new EvalReport(file.getFileName().toString(), node.path("checkpoint").asText(""),
                node.path("step").isIntegralNumber() ? node.get("step").asLong() : null,
                benchmark != null ? node.path("benchmark_data").asText("") : node.path("data").asText(""),
                node.path("split").asText(""), node.path("scored").asText(""), node.path("tokens_scored").asLong(),
                number(node, "loss"), number(node, "perplexity"), number(node, "bits_per_byte"), benchmark,
                benchmark == null ? null : node.get("items").asLong(), Map.copyOf(figures), List.copyOf(published), answers);
    }

    private static Double number(JsonNode node, String key) {
        return node.path(key).isNumber() ? node.get(key).asDouble() : null;
    }

    /** The published figure for {@code metric}, or null. */
    public Published publishedFor(String metric) {
        return published.stream().filter(p -> p.metric().equals(metric)).findFirst().orElse(null);
    }
}
