package dev.chatforge.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a {@code metrics.jsonl} as {@link dev.chatforge.train.MetricsLog} writes it. A line that
 * is not a JSON object with a whole-number {@code step}, or whose known keys are not numbers, is
 * an error naming the file and line: a chart drawn from a silently skipped line would lie.
 */
public final class MetricsFile {
    private MetricsFile() {}

    public static List<MetricPoint> read(Path file) {
        List<MetricPoint> points = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String text;
            int lineNumber = 0;
            while ((text = in.readLine()) != null) {
                lineNumber++;
                if (!text.isBlank()) {
                    points.add(parse(text, file + ":" + lineNumber));
                }
            }
        } catch (NoSuchFileException e) {
            throw new StageInputException(file + ": not found; is " + file.getParent()
                    + " the output folder of `chatforge train` or `chatforge finetune`?");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return points;
    }

    /** Parses one line; {@code where} ("file:line") starts every error message. */
    static MetricPoint parse(String text, String where) {
        JsonNode node;
        try {
            node = Json.COMPACT.readTree(text);
        } catch (JsonProcessingException e) {
            throw new StageInputException(where + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new StageInputException(where + ": expected a JSON object, got: " + abbreviate(text));
        }
        JsonNode step = node.get("step");
        if (step == null || !step.canConvertToLong() || !step.isIntegralNumber() || step.asLong() < 0) {
            throw new StageInputException(where + ": key 'step': expected a whole number >= 0, got "
                    + (step == null ? "nothing" : step.toString()));
        }
        return new MetricPoint(step.asLong(), number(node, "train_loss", where), number(node, "val_loss", where),
                number(node, "lr", where), number(node, "grad_norm", where), number(node, "tokens_per_sec", where),
                number(node, "tokens_seen", where), number(node, "elapsed_s", where));
    }

    private static final java.util.Set<String> NON_FINITE = java.util.Set.of("NaN", "Infinity", "-Infinity");

    private static Double number(JsonNode node, String key, String where) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.isTextual() && NON_FINITE.contains(value.asText())) {
            return Double.valueOf(value.asText()); // Jackson writes a NaN gradient norm of a skipped step as text
        }
        if (!value.isNumber()) {
            throw new StageInputException(where + ": key '" + key + "': expected a number, got " + value);
        }
        return value.asDouble();
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }
}
