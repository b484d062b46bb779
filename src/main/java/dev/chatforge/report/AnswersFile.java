package dev.chatforge.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The {@code answers*.jsonl} an eval with {@code answers:} writes, as the report shows it. */
public final class AnswersFile {
    private AnswersFile() {}

    /**
     * One answered turn.
     *
     * @param key       which turn of which conversation (record id and turn index): the same for every run
     * @param question  the user's message answered
     * @param reference the reference reply
     * @param generated the model's reply
     * @param rougeL    its ROUGE-L F1 against the reference
     */
    public record Row(String key, String question, String reference, String generated, double rougeL) {}

    public static List<Row> read(Path file) {
        List<Row> rows = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long number = 0;
            for (String line; (line = reader.readLine()) != null; ) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = Json.MAPPER.readTree(line);
                } catch (IOException e) {
                    throw new StageInputException(file + ":" + number + ": not a JSON object");
                }
                for (String key : new String[] {"reference", "generated"}) {
                    if (!node.path(key).isTextual()) {
                        throw new StageInputException(file + ":" + number + ": field '" + key + "': expected a string");
                    }
                }
                JsonNode context = node.path("context");
                String question = context.isArray() && context.size() > 0
                        ? context.get(context.size() - 1).path("content").asText("") : "";
                rows.add(new Row(node.path("record").asText("") + "#" + node.path("turn").asInt(), question,
                        node.get("reference").asText(), node.get("generated").asText(), node.path("rouge_l").asDouble()));
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw new StageInputException(file + ": not found (the eval report names it in 'answers.file')");
        } catch (IOException e) {
            throw new StageInputException(file + ": cannot read: " + e.getMessage(), e);
        }
        return rows;
    }
}
