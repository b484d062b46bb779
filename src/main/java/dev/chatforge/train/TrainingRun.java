package dev.chatforge.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.config.ConfigException;
import dev.chatforge.io.AtomicFiles;
import dev.chatforge.io.Hashing;
import dev.chatforge.io.Json;
import dev.chatforge.io.Manifest;
import dev.chatforge.io.RealPaths;
import dev.chatforge.io.RunLock;
import dev.chatforge.io.StageOutput;
import dev.chatforge.io.StageInputException;
import dev.chatforge.model.Devices;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.model.Precision;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One training run in its run folder, from lock to manifest, the same for train and finetune:
 * <ol>
 *   <li>{@link #open}: refuses an output that is, holds or lies in one of the run's inputs (the
 *       same check as every stage's {@link StageOutput}); locks
 *       the folder ({@link RunLock}); repairs what a kill left (half-swapped checkpoints, temporary
 *       folders, a best/ behind latest's state); decides to resume latest/ or to start over. Starting
 *       over where a folder exists needs {@code --force} and writes the new run beside it, swapped in
 *       at its first checkpoint: the old run is never deleted before the new one has one.</li>
 *   <li>{@link #begin}: the model and AdamW, restored from latest/ or fresh.</li>
 *   <li>{@link #fit}: the {@link Trainer} loop.</li>
 *   <li>{@link #writeManifest}; {@link #close} frees the model and the lock.</li>
 * </ol>
 * The stage supplies only what is its own: a fresh model, the data, its checks and facts.
 */
public final class TrainingRun implements AutoCloseable {
    private final String stage;
    private final TrainingSettings settings;
    private final RunLock lock;
    private final RunFolder folder;
    private final boolean resuming;
    private final Device device;
    private GPT2 model;
    private AdamW optimizer;
    private TrainerState start;
    /** A metrics.jsonl line the loop writes first: the settings a resume changed. */
    private ObjectNode startNote;
    private Precision.Choice precision;

    private TrainingRun(String stage, TrainingSettings settings, RunLock lock, RunFolder folder, boolean resuming,
                        Device device) {
        this.stage = stage;
        this.settings = settings;
        this.lock = lock;
        this.folder = folder;
        this.resuming = resuming;
        this.device = device;
    }

    /**
     * @param output        the run folder
     * @param inputs        folders the run reads (data, parent checkpoint): the output may not overlap them
     * @param tokenizerFile the tokenizer.json copied into every checkpoint
     */
    public static TrainingRun open(String stage, Path requestedOutput, TrainingSettings settings, boolean force,
                                   List<Path> inputs, Path tokenizerFile) {
        // The folder itself, not a link to it: the lock, the checks and a --force swap act where the run is.
        Path output = RealPaths.of(requestedOutput);
        for (Path input : inputs) {
            StageOutput.refuseOverlap(stage, output, input);
        }
        RunLock lock = RunLock.acquire(output, stage);
        try {
            RunFolder.removeLeftovers(output);
            RunFolder inPlace = RunFolder.at(output, tokenizerFile);
            boolean hasCheckpoint = Files.exists(inPlace.latest().resolve(TrainerState.FILE_NAME));
            boolean resume = hasCheckpoint && !force && settings.resume().equals("auto");
            if (hasCheckpoint && !force && !resume) {
                throw new StageInputException(output + ": already holds a " + stage + " run (resume: never); pass --force "
                        + "to replace it with a new run, or set resume: auto to continue it");
            }
            boolean exists = Files.exists(output);
            if (exists && !hasCheckpoint && !force && !RunFolder.onlyLeftoversOfAnUnfinishedRun(output)) {
                throw new StageInputException(output + ": already exists and is not a chatforge " + stage + " run; pass "
                        + "--force to replace it (once the new run has its first checkpoint), or choose another output");
            }
            if (resume) {
                inPlace.repairBest();
            } else if (exists) {
                // --force replaces a run, never a user's files kept in its folder
                RunFolder.refuseForeign(stage, output);
            }
            if (!resume && exists && hasCheckpoint) {
                System.err.println(stage + ": starting over (--force); the run in " + output + " stays until the new run "
                        + "saves its first checkpoint");
            }
            Device device = Devices.resolve(settings.device());
            RunFolder folder = resume || !exists ? inPlace : RunFolder.replacing(output, tokenizerFile);
            return new TrainingRun(stage, settings, lock, folder, resume, device);
        } catch (RuntimeException | Error e) {
            lock.close();
            throw e;
        }
    }

    /**
     * The model and optimizer to train: latest/ with its moments when resuming (after checking it
     * is this run: same model shape and tokenizer, and whatever {@code resumable} checks), else
     * {@code freshModel} with zero moments. {@code facts} are recorded in every trainer state, with
     * the precision, decided here once for the run (before any weights are loaded, so a refused
     * bf16 costs nothing).
     */
    public TrainerState begin(ObjectNode facts, GPT2Config modelConfig, Function<Device, GPT2> freshModel,
                              Consumer<TrainerState> resumable) {
        precision = Precision.resolveForTraining(settings.precision(), device, modelConfig);
        System.err.printf("%s: precision %s%n", stage, precision.describe());
        facts = precision.putInto(facts == null ? Json.MAPPER.createObjectNode() : facts.deepCopy());
        Engine.getInstance().setRandomSeed((int) settings.seed());
        TrainOptions options = settings.options();
        if (resuming) {
            Path latest = folder.latest();
            GPT2Config saved = GPT2Config.read(latest);
            List<String> shape = ResumeChanges.shape(saved, modelConfig);
            if (!shape.isEmpty()) {
                throw new StageInputException(latest + ": was trained with another model shape than the config now asks "
                        + "for: " + String.join(", ", shape) + "; its weights cannot take it: restore these settings, or "
                        + "pass --force to start over");
            }
            TrainerState savedState = TrainerState.read(latest);
            List<ResumeChanges.Change> changes = new ArrayList<>(ResumeChanges.between(savedState.run(), facts));
            ResumeChanges.Change dropout = ResumeChanges.dropout(saved, modelConfig);
            if (dropout != null) {
                changes.add(dropout);
            }
            if (!changes.isEmpty() && !settings.resumeChanges().equals("accept")) {
                throw new ConfigException(latest + ": resuming would change what this run computes: "
                        + changes.stream().map(Object::toString).collect(Collectors.joining(", "))
                        + ". Restore the saved values" + keepScheduleHint(changes) + ", pass --set " + stage
                        + ".resume_changes=accept to continue with the new ones (recorded in metrics.jsonl and "
                        + "manifest.json), or --force to start over");
            }
            // The model keeps the weights' shape; dropout is the config's (a change was accepted above).
            Checkpoint checkpoint = Checkpoint.load(latest, device, c -> new GPT2Config(c.vocabSize(), c.nPositions(),
                    c.nEmbd(), c.nLayer(), c.nHead(), c.activationFunction(), modelConfig.residPdrop(),
                    modelConfig.embdPdrop(), modelConfig.attnPdrop(), c.layerNormEpsilon(), c.initializerRange()));
            model = checkpoint.model();
            if (!checkpoint.config().equals(modelConfig)) {
                throw new StageInputException(latest + ": its config.json differs from the model the config asks for ("
                        + checkpoint.config() + " against " + modelConfig + "); pass --force to start over");
            }
            Path tokenizer = folder.tokenizerFile();
            if (checkpoint.tokenizer() != null && tokenizer != null
                    && !Hashing.sha256(checkpoint.tokenizer()).equals(Hashing.sha256(tokenizer))) {
                throw new StageInputException(latest + ": was trained with a different tokenizer than " + tokenizer
                        + "; pass --force to start over");
            }
            resumable.accept(checkpoint.state());
            String before = checkpoint.state().run() == null ? "" : checkpoint.state().run().path("precision").asText("");
            if (!before.isEmpty() && !before.equals(precision.precision().wireName())) {
                System.err.printf("%s: %s was trained in %s and continues in %s (the weights are fp32 either way; the "
                        + "steps from here are not those an uninterrupted %s run would take)%n", stage, latest, before,
                        precision.precision().wireName(), before);
            }
            optimizer = Trainer.newOptimizer(model, options);
            Checkpoint.loadOptimizer(latest, optimizer, checkpoint.state().step(), device);
            long step = checkpoint.state().step();
            ObjectNode run = facts.deepCopy();
            run.set("resume_changes", ResumeChanges.history(savedState.run() == null ? null
                    : savedState.run().get("resume_changes"), step, changes));
            start = checkpoint.state().withRun(run);
            if (!changes.isEmpty()) {
                startNote = ResumeChanges.metricsLine(step, changes);
                System.err.printf("%s: resume_changes=accept: continuing with %s from step %d (recorded in %s)%n", stage,
                        changes.stream().map(Object::toString).collect(Collectors.joining(", ")), step,
                        MetricsLog.FILE_NAME);
            }
            System.err.printf("%s: resuming %s from step %d%n", stage, latest, start.step());
        } else {
            model = freshModel.apply(device);
            optimizer = Trainer.newOptimizer(model, options);
            start = TrainerState.start(settings.seed(), facts);
        }
        model.usePrecision(precision.precision());
        return start;
    }

    /** For a longer max_steps that would stretch the cosine: how to keep the saved curve instead. */
    private String keepScheduleHint(List<ResumeChanges.Change> changes) {
        for (ResumeChanges.Change c : changes) {
            if (c.key().equals("lr_decay_steps (max_steps)")) {
                return " (a new max_steps with lr_decay_steps unset moves where the cosine ends; --set " + stage
                        + ".lr_decay_steps=" + c.from() + " keeps the saved schedule and trains on at min_lr)";
            }
        }
        return "";
    }

    /** Trains from {@link #begin}'s state to max_steps, or until {@code stop} says so after a step. */
    public TrainerState fit(DataSampler train, List<TokenBatch> validation, Predicate<TrainerState> stop) {
        return new Trainer(model, optimizer, start, settings.options(), train, validation, folder).stopWhen(stop)
                .noteFirst(startNote).describePrecision(precision).run();
    }

    public Device device() {
        return device;
    }

    /** The precision {@link #begin} chose, and why. */
    public Precision.Choice precision() {
        return precision;
    }

    public GPT2 model() {
        return model;
    }

    public RunFolder folder() {
        return folder;
    }

    /**
     * manifest.json: the inputs, the config, what every run reports (steps, losses, time) plus the
     * stage's own {@code stats}, and the checkpoints' weights.
     */
    public void writeManifest(Object config, List<Manifest.FileEntry> inputs, TrainerState end, ObjectNode stats) {
        ObjectNode all = Json.MAPPER.createObjectNode();
        all.put("step", end.step());
        all.put("tokens_seen", end.tokensSeen());
        all.put("train_loss", end.trainLoss());
        all.put("val_loss", end.valLoss());
        all.put("best_val_loss", end.bestValLoss());
        all.put("best_step", end.bestStep());
        all.put("elapsed_s", end.elapsedSeconds());
        JsonNode changes = end.run() == null ? null : end.run().get("resume_changes");
        if (changes != null && !changes.isEmpty()) {
            all.set("resume_changes", changes);
        }
        precision.putInto(all);
        all.setAll(stats);
        Manifest.create(stage, inputs, Json.MAPPER.valueToTree(config), all, folder.checkpointWeights())
                .writeTo(folder.dir());
    }

    /** Frees the model and optimizer; a new run that never saved a checkpoint leaves nothing behind. */
    @Override
    public void close() {
        try {
            if (optimizer != null) {
                optimizer.close();
            }
            if (model != null) {
                model.close();
            }
            if (folder.staged()) {
                AtomicFiles.deleteQuietly(folder.dir());
            }
        } finally {
            lock.close();
        }
    }
}
