package dev.chatforge.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.AtomicFiles;
import dev.chatforge.io.Json;
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
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (!line.isBlank() && Json.MAPPER.readTree(line).path("step").asLong() <= resumeStep) {
                        kept.add(line);
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

    /** The validation loss logged at {@code step} (finetune: step 0 is the parent's), or null. */
    public static Double valLossAt(Path file, long step) {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                JsonNode node = Json.MAPPER.readTree(line);
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
