package dev.chatforge.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.AtomicFiles;
import dev.chatforge.io.Hashing;
import dev.chatforge.io.Json;
import dev.chatforge.io.Manifest;
import dev.chatforge.io.RealPaths;
import dev.chatforge.io.StageInputException;
import dev.chatforge.model.Devices;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.model.Precision;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One training run in its run folder, from lock to manifest, the same for train and finetune:
 * <ol>
 *   <li>{@link #open}: refuses an output that is, holds or lies in one of the run's inputs; locks
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
            refuseOverlap(output, input);
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
            } else if (exists && hasCheckpoint) {
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
        precision = Precision.resolve(settings.precision(), device, modelConfig);
        System.err.printf("%s: precision %s%n", stage, precision.describe());
        facts = precision.putInto(facts == null ? Json.MAPPER.createObjectNode() : facts.deepCopy());
        Engine.getInstance().setRandomSeed((int) settings.seed());
        TrainOptions options = settings.options();
        if (resuming) {
            Path latest = folder.latest();
            Checkpoint checkpoint = Checkpoint.load(latest, device);
            model = checkpoint.model();
            if (!checkpoint.config().equals(modelConfig)) {
                throw new StageInputException(latest + ": was trained with " + checkpoint.config() + ", the config now "
                        + "asks for " + modelConfig + "; pass --force to start over, or restore the settings");
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
            start = checkpoint.state().withRun(facts);
            System.err.printf("%s: resuming %s from step %d%n", stage, latest, start.step());
        } else {
            model = freshModel.apply(device);
            optimizer = Trainer.newOptimizer(model, options);
            start = TrainerState.start(settings.seed(), facts);
        }
        model.usePrecision(precision.precision());
        return start;
    }

    /** Trains from {@link #begin}'s state to max_steps, or until {@code stop} says so after a step. */
    public TrainerState fit(DataSampler train, List<TokenBatch> validation, Predicate<TrainerState> stop) {
        return new Trainer(model, optimizer, start, settings.options(), train, validation, folder).stopWhen(stop)
                .describePrecision(precision).run();
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

    /** An output that is, holds or lies inside an input would overwrite (or, starting over, replace) it. */
    static void refuseOverlap(Path output, Path input) {
        Path out = RealPaths.of(output);
        Path in = RealPaths.of(input);
        if (out.startsWith(in) || in.startsWith(out)) {
            String relation = out.equals(in) ? "is" : out.startsWith(in) ? "lies inside" : "contains";
            throw new StageInputException(output + ": the output " + relation + " " + input + ", which this run reads; "
                    + "choose another output (--force does not change this)");
        }
    }
}
