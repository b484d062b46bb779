package dev.chatforge.eval.benchmark;

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
 * A benchmark's JSONL file read line by line; every complaint names the file, the line and the
 * field the layout expects, so a file in the wrong layout is easy to find.
 */
final class BenchmarkJsonl {
    private BenchmarkJsonl() {}

    /** One parsed line with where it came from. */
    record Line(Path file, long number, JsonNode node) {
        StageInputException wrong(String field, String expected) {
            return new StageInputException(file + ":" + number + ": field '" + field + "': expected " + expected);
        }

        String text(String field) {
            JsonNode value = node.get(field);
            if (value == null || !value.isTextual()) {
                throw wrong(field, "a string" + (value == null ? " (missing)" : ", got " + value.getNodeType().name().toLowerCase()));
            }
            return value.asText();
        }
    }

    static List<Line> read(Path file, String layout) {
        List<Line> lines = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long number = 0;
            for (String raw; (raw = reader.readLine()) != null; ) {
                number++;
                if (raw.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = Json.MAPPER.readTree(raw);
                } catch (IOException e) {
                    throw new StageInputException(file + ":" + number + ": not a JSON object (" + layout + " has one per line)");
                }
                if (node == null || !node.isObject()) {
                    throw new StageInputException(file + ":" + number + ": not a JSON object (" + layout + " has one per line)");
                }
                lines.add(new Line(file, number, node));
            }
        } catch (NoSuchFileException e) {
            throw new StageInputException(file + ": not found (" + layout + ")");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new StageInputException(file + ": not UTF-8 text (" + layout + ")");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (lines.isEmpty()) {
            throw new StageInputException(file + ": no items (" + layout + ")");
        }
        return lines;
    }
}
