package dev.chatforge.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.Manifest;
import dev.chatforge.io.StageInputException;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.train.MetricsLog;
import dev.chatforge.train.RunFolder;
import dev.chatforge.train.TrainerState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What a report shows of one run folder (train or finetune), read from what the run wrote:
 * {@code metrics.jsonl} (required), {@code manifest.json} (once the run finished),
 * {@code latest/trainer_state.json} and {@code latest/config.json} (from the first checkpoint on),
 * and the {@code eval*.json} reports beside them.
 *
 * @param dir         the run folder
 * @param stage       "train" or "finetune", or null when the folder does not say
 * @param finished    whether the run wrote its manifest (it ends every completed run)
 * @param config      the effective config section the run used, or null
 * @param modelConfig the model's config.json, or null
 * @param metrics     the lines of metrics.jsonl, in file order
 * @param evals       the eval reports found in the folder
 * @param parents     for a fine-tune, the checkpoints it descends from, nearest first; empty otherwise
 */
public record RunSummary(Path dir, String stage, boolean finished, JsonNode config, JsonNode modelConfig,
                         List<MetricPoint> metrics, List<EvalReport> evals, List<ParentLink> parents) {

    /** A chain longer than this is a loop (a folder fine-tuned from itself after renames). */
    private static final int MAX_PARENTS = 32;

    /**
     * What {@link #read} reads in a run folder (metrics, manifest, latest/, best/, a checkpoint's own
     * state and config, eval reports): a report's output may not overlap any of it.
     */
    public static List<Path> filesRead(Path dir) {
        List<Path> read = new java.util.ArrayList<>(List.of(dir.resolve(MetricsLog.FILE_NAME), dir.resolve(Manifest.FILE_NAME),
                dir.resolve(RunFolder.LATEST), dir.resolve(RunFolder.BEST), dir.resolve(TrainerState.FILE_NAME),
                dir.resolve(GPT2Config.FILE_NAME)));
        if (Files.isDirectory(dir)) {
            try (var files = Files.list(dir)) {
                files.filter(f -> f.getFileName().toString().startsWith("eval") && f.getFileName().toString().endsWith(".json"))
                        .forEach(read::add);
            } catch (java.io.IOException e) {
                throw new StageInputException(dir + ": cannot list: " + e.getMessage(), e);
            }
        }
        return read;
    }

    public static RunSummary read(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new StageInputException(dir + ": run folder not found (the output folder of `chatforge train` or "
                    + "`chatforge finetune`)");
        }
        List<MetricPoint> metrics = MetricsFile.read(dir.resolve(MetricsLog.FILE_NAME));
        JsonNode manifest = readJson(dir.resolve(Manifest.FILE_NAME));
        // A run folder keeps its state in latest/; a checkpoint folder given instead (best/) holds its own.
        JsonNode state = firstOf(dir.resolve(RunFolder.LATEST).resolve(TrainerState.FILE_NAME), dir.resolve(TrainerState.FILE_NAME));
        JsonNode run = state == null ? null : state.get("run");
        JsonNode modelConfig = firstOf(dir.resolve(RunFolder.LATEST).resolve(GPT2Config.FILE_NAME),
                dir.resolve(RunFolder.BEST).resolve(GPT2Config.FILE_NAME), dir.resolve(GPT2Config.FILE_NAME));
        String stage = text(manifest, "stage");
        if (stage == null) {
            stage = text(run, "stage");
        }
        JsonNode config = manifest != null && manifest.hasNonNull("config") ? manifest.get("config")
                : run != null && run.hasNonNull("config") ? run.get("config") : null;
        JsonNode parentFacts = manifest != null && manifest.path("stats").has("parent") ? manifest.get("stats") : run;
        return new RunSummary(dir, stage, manifest != null, config, modelConfig, List.copyOf(metrics),
                EvalReport.findIn(dir), parentChain(parentFacts));
    }

    /** The folder's name: how the run is labelled in charts. */
    public String name() {
        Path name = dir.toAbsolutePath().normalize().getFileName();
        return name == null ? dir.toString() : name.toString();
    }

    /**
     * The evaluation with the lowest validation loss after step 0: the step best/ holds (the
     * trainer never saves best/ before the first step).
     */
    public Optional<MetricPoint> best() {
        return metrics.stream().filter(p -> p.step() > 0 && p.valLoss() != null && Double.isFinite(p.valLoss()))
                .min(Comparator.comparingDouble(MetricPoint::valLoss));
    }

    /** The last line logged, or empty for a run that logged nothing yet. */
    public Optional<MetricPoint> last() {
        return metrics.isEmpty() ? Optional.empty() : Optional.of(metrics.get(metrics.size() - 1));
    }

    /** The run folder that holds the nearest parent checkpoint ({@code <run>/best} → {@code <run>}), or null. */
    public Path parentRunDir() {
        if (parents.isEmpty()) {
            return null;
        }
        Path parent = Path.of(parents.get(0).checkpoint()).toAbsolutePath().normalize().getParent();
        return parent;
    }

    /**
     * Follows "parent" from the run's facts through each parent checkpoint's trainer_state.json
     * (a fine-tune of a fine-tune records its own parent there).
     */
    private static List<ParentLink> parentChain(JsonNode facts) {
        List<ParentLink> chain = new ArrayList<>();
        String parent = text(facts, "parent");
        Long recordedStep = facts != null && facts.path("parent_step").isIntegralNumber()
                ? facts.get("parent_step").asLong() : null;
        while (parent != null && chain.size() < MAX_PARENTS) {
            Path dir = Path.of(parent);
            JsonNode state = Files.isDirectory(dir) ? readJson(dir.resolve(TrainerState.FILE_NAME)) : null;
            JsonNode run = state == null ? null : state.get("run");
            // The step the child recorded wins: the parent folder may have been trained further since.
            Long step = recordedStep != null ? recordedStep
                    : state != null && state.path("step").isIntegralNumber() ? state.get("step").asLong() : null;
            Long tokens = state != null && state.path("tokens_seen").isIntegralNumber()
                    ? state.get("tokens_seen").asLong() : null;
            chain.add(new ParentLink(parent, text(run, "stage"), step, tokens, Files.isDirectory(dir)));
            parent = text(run, "parent");
            recordedStep = run != null && run.path("parent_step").isIntegralNumber() ? run.get("parent_step").asLong() : null;
        }
        return List.copyOf(chain);
    }

    private static String text(JsonNode node, String key) {
        return node != null && node.hasNonNull(key) ? node.get(key).asText() : null;
    }

    /** The JSON of the first of {@code files} that exists, or null. */
    private static JsonNode firstOf(Path... files) {
        for (Path file : files) {
            JsonNode node = readJson(file);
            if (node != null) {
                return node;
            }
        }
        return null;
    }

    /** The JSON in {@code file}, or null when there is no such file; malformed JSON is an error naming it. */
    private static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return Json.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new StageInputException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }
}
