package dev.chatforge.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A report of {@code chatforge eval} kept in a run folder ({@code eval*.json}, e.g. the smoke
 * pipeline's {@code eval.json} and {@code eval-support.json}).
 *
 * @param file         the report's file name
 * @param checkpoint   the checkpoint evaluated, as recorded
 * @param step         its training step, or null
 * @param data         the tokenized data folder, as recorded
 * @param split        the split scored
 * @param scored       which tokens were scored (all, or agent tokens only)
 * @param tokensScored how many
 * @param loss         mean loss in nats/token
 * @param perplexity   exp(loss)
 * @param bitsPerByte  bits per UTF-8 byte of text, or null when unknown
 */
public record EvalReport(String file, String checkpoint, Long step, String data, String split, String scored,
                         long tokensScored, double loss, double perplexity, Double bitsPerByte) {

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
        for (String key : new String[] {"loss", "perplexity"}) {
            if (node == null || !node.path(key).isNumber()) {
                throw new StageInputException(file + ": key '" + key + "': expected a number (is this a report of "
                        + "`chatforge eval`?)");
            }
        }
        JsonNode bpb = node.path("bits_per_byte");
        return new EvalReport(file.getFileName().toString(), node.path("checkpoint").asText(""),
                node.path("step").isIntegralNumber() ? node.get("step").asLong() : null, node.path("data").asText(""),
                node.path("split").asText(""), node.path("scored").asText(""), node.path("tokens_scored").asLong(),
                node.get("loss").asDouble(), node.get("perplexity").asDouble(), bpb.isNumber() ? bpb.asDouble() : null);
    }
}
