package dev.chatforge.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.AtomicFiles;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code metrics.jsonl}: one JSON object per logged step ({@code step, train_loss, val_loss, lr,
 * grad_norm, tokens_per_sec, elapsed_s, tokens_seen}), appended and flushed as training goes, so
 * a plot or {@code tail -f} sees it live.
 */
public final class MetricsLog implements AutoCloseable {
    public static final String FILE_NAME = "metrics.jsonl";

    private final BufferedWriter out;

    private MetricsLog(BufferedWriter out) {
        this.out = out;
    }

    /**
     * Opens {@code file} for appending. Lines after {@code resumeStep} (logged by a run that was
     * killed after its last checkpoint) are dropped first, so a resumed run's log has each step
     * once.
     */
    public static MetricsLog open(Path file, long resumeStep) {
        try {
            if (Files.exists(file)) {
                List<String> kept = new ArrayList<>();
                for (Line line : readLines(file, true)) {
                    if (line.json() != null && line.json().path("step").asLong() <= resumeStep) {
                        kept.add(line.text());
                    }
                }
                AtomicFiles.writeString(file, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
            } else {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
            return new MetricsLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Each line of {@code file} parsed (null for a blank one). A last line without its newline
     * that is not whole JSON was cut short by a kill during its write: it never was a record, so it
     * is left out (with {@code repairTornEnd}, said so on stderr). Any other line that is not JSON
     * is an error naming the file and line. Blank lines are left out.
     */
    private record Line(String text, JsonNode json) {}

    private static List<Line> readLines(Path file, boolean repairTornEnd) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        List<String> texts = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<Line> nodes = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String line = texts.get(i);
            if (line.isBlank()) {
                continue;
            }
            try {
                nodes.add(new Line(line, Json.MAPPER.readTree(line)));
            } catch (JsonProcessingException e) {
                if (i == texts.size() - 1 && !text.endsWith("\n")) {
                    if (repairTornEnd) {
                        System.err.println(file + ":" + (i + 1) + ": dropped an incomplete last line (a run was stopped "
                                + "while writing it): " + abbreviate(line));
                    }
                } else {
                    throw new StageInputException(file + ":" + (i + 1) + ": not a JSON metrics line: "
                            + e.getOriginalMessage() + "; fix or delete that line", e);
                }
            }
        }
        return nodes;
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }

    /** The validation loss logged at {@code step} (finetune: step 0 is the parent's), or null. */
    public static Double valLossAt(Path file, long step) {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            for (Line line : readLines(file, false)) {
                JsonNode node = line.json();
                if (node.path("step").asLong(-1) == step && node.has("val_loss")) {
                    return node.get("val_loss").asDouble();
                }
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public static ObjectNode line(long step) {
        return Json.COMPACT.createObjectNode().put("step", step);
    }

    public void append(JsonNode line) {
        try {
            out.write(Json.COMPACT.writeValueAsString(line));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write metrics: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
