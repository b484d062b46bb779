package dev.chatforge.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.Progress;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.NativeArrays;
import dev.chatforge.model.TiedHeadLoss;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training loop shared by pre-training and fine-tuning:
 * <pre>
 *   for each step: draw batch_size·grad_accum windows → forward/backward per micro-batch
 *   (loss summed over trained tokens / trained tokens of the whole step) → clip the global
 *   gradient norm → AdamW at the scheduled learning rate
 *   every eval_interval steps: validation loss on fixed windows, save latest/ (and best/)
 * </pre>
 * Dividing by the trained tokens of the whole step, not per micro-batch, makes the gradient
 * independent of how the step is split into micro-batches (and correct for masked data where
 * micro-batches train on different numbers of tokens).
 *
 * <p>Memory: each step runs in its own NDManager (each micro-batch in a child of it), closed at
 * the end of the step, so native memory stays flat however long the run.
 */
public final class Trainer {
    /** Called after every optimizer step; tests use it to stop a run the way a kill would. */
    @FunctionalInterface
    public interface StepListener {
        void afterStep(TrainerState state);
    }

    private final GPT2 model;
    private final AdamW optimizer;
    private final TrainOptions options;
    private final DataSampler train;
    private final List<TokenBatch> validation;
    private final RunFolder folder;
    private TrainerState state;
    /**
     * Steps in a row whose gradients may be non-finite (with a finite loss) before the run
     * stops: an isolated bad step is skipped, a persistent one is divergence.
     */
    static final int MAX_CONSECUTIVE_SKIPS = 3;

    private StepListener listener = s -> {};
    private java.util.function.Consumer<Map<String, NDArray>> gradientHook = g -> {};
    private long skippedSteps;
    private int consecutiveSkips;
    private TiedHeadLoss headLoss; // the LM head's loss and its buffer, for the life of run()
    private java.util.function.Predicate<TrainerState> stopEarly = s -> false;
    private com.fasterxml.jackson.databind.JsonNode firstNote;
    private String precisionReason;

    /**
     * @param start      {@link TrainerState#start} for a new run, or the state of the checkpoint
     *                   whose weights and moments {@code model} and {@code optimizer} hold
     * @param validation fixed validation batches (empty: no validation, no best/)
     * @param folder     where checkpoints and metrics go
     */
    public Trainer(GPT2 model, AdamW optimizer, TrainerState start, TrainOptions options, DataSampler train,
                   List<TokenBatch> validation, RunFolder folder) {
        this.model = model;
        this.optimizer = optimizer;
        this.options = options;
        this.train = train;
        this.state = start;
        this.validation = List.copyOf(validation);
        this.folder = folder;
        train.seek(start.samplerPosition());
    }

    /** A fresh AdamW with the options' hyper-parameters for {@code model}. */
    public static AdamW newOptimizer(GPT2 model, TrainOptions options) {
        return new AdamW(model.parameters(), model.manager(), options.beta1(), options.beta2(), options.eps(),
                options.weightDecay());
    }

    /** Sees each step's gradients before clipping; tests use it to poison one. */
    Trainer afterBackward(java.util.function.Consumer<Map<String, NDArray>> hook) {
        this.gradientHook = hook;
        return this;
    }

    public Trainer onStep(StepListener listener) {
        this.listener = listener;
        return this;
    }

    /**
     * Ends the run before max_steps when {@code stop} says so, tested after every step (after
     * that step's evaluation and checkpoint); finetune uses it for early stopping.
     */
    public Trainer stopWhen(java.util.function.Predicate<TrainerState> stop) {
        this.stopEarly = stop;
        return this;
    }

    /** A line written to metrics.jsonl before the first step (a resume's accepted changes); null for none. */
    public Trainer noteFirst(com.fasterxml.jackson.databind.JsonNode line) {
        this.firstNote = line;
        return this;
    }

    /** Writes why the model's precision was chosen into the first metrics line of this run (or resumed run). */
    public Trainer describePrecision(dev.chatforge.model.Precision.Choice choice) {
        this.precisionReason = choice.describe();
        return this;
    }

    /** Trains from the start state to {@code max_steps}; returns the final state. */
    public TrainerState run() {
        long startStep = state.step();
        Path metricsFile = folder.metricsFile();
        int blockSize = train.blockSize();
        long tokensPerStep = (long) options.batchSize() * options.gradAccum() * blockSize;
        if (startStep >= options.maxSteps()) {
            System.err.printf("train: already at step %d of max_steps %d; nothing to do%n", startStep, options.maxSteps());
            return state;
        }
        System.err.printf(Locale.ROOT, "train: %,d parameters, %d × %d × %d = %,d tokens per step, steps %d → %d%n",
                model.config().parameterCount(), options.batchSize(), options.gradAccum(), blockSize, tokensPerStep,
                startStep, options.maxSteps());
        try (MetricsLog metrics = MetricsLog.open(metricsFile, startStep);
             Progress progress = new Progress("train", options.maxSteps() - startStep, "steps");
             TiedHeadLoss head = new TiedHeadLoss(model)) {
            headLoss = head;
            if (firstNote != null) {
                metrics.append(firstNote);
            }
            if (startStep == 0 && !validation.isEmpty()) {
                double val = validationLoss();
                metrics.append(describe(MetricsLog.line(0).put("val_loss", val).put("elapsed_s", 0.0)));
                System.err.printf(Locale.ROOT, "step 0 | val %.4f (ln vocab = %.4f)%n", val,
                        Math.log(model.config().vocabSize()));
            }
            double elapsedBefore = state.elapsedSeconds();
            long runStart = System.nanoTime();
            long windowNanos = 0;
            long windowSteps = 0;
            double windowLoss = 0;
            while (state.step() < options.maxSteps()) {
                long step = state.step();
                double lr = options.schedule().at(step);
                long t0 = System.nanoTime();
                StepResult result = step(step, lr);
                long stepNanos = System.nanoTime() - t0;
                boolean skipped = Double.isFinite(result.loss()) && !Double.isFinite(result.gradNorm());
                consecutiveSkips = skipped ? consecutiveSkips + 1 : 0;
                if (!Double.isFinite(result.loss()) || consecutiveSkips > MAX_CONSECUTIVE_SKIPS) {
                    throw new TrainingDivergedException(String.format(Locale.ROOT,
                            "loss is %s (gradient norm %s%s) at step %d with learning rate %.3g; training stopped. %s",
                            result.loss(), result.gradNorm(), skipped ? ", " + consecutiveSkips + " steps in a row, in "
                                    + result.nonFiniteGradients() : "", step + 1, lr, lastGoodCheckpoint()));
                }
                if (skipped) {
                    // A guard, as AMP's GradScaler drops overflowing steps: drop the update, say so, go on.
                    // (The one cause seen so far, constants freed between forward and backward, is fixed:
                    // see GPT2.scalar.)
                    skippedSteps++;
                    System.err.printf(Locale.ROOT, "%nstep %d: gradient norm %s with a finite loss %.4f, in %s; update "
                                    + "skipped (%d so far)%n", step + 1, result.gradNorm(), result.loss(),
                            result.nonFiniteGradients(), skippedSteps);
                }
                windowNanos += stepNanos;
                windowSteps++;
                windowLoss += result.loss();
                double elapsed = elapsedBefore + (System.nanoTime() - runStart) / 1e9;
                state = new TrainerState(step + 1, state.tokensSeen() + tokensPerStep, lr, result.loss(), null,
                        state.bestValLoss(), state.bestStep(), train.position(), state.seed(), elapsed, state.run());
                double tokensPerSec = tokensPerStep * windowSteps / (windowNanos / 1e9);
                progress.update(state.step() - startStep);
                progress.detail(String.format(Locale.ROOT, "loss %.4f | %,.0f tok/s", result.loss(), tokensPerSec));

                boolean evalNow = state.step() % options.evalInterval() == 0 || state.step() == options.maxSteps();
                ObjectNode line = null;
                if (evalNow || state.step() % options.logInterval() == 0) {
                    line = MetricsLog.line(state.step())
                            .put("train_loss", windowLoss / windowSteps)
                            .put("lr", lr)
                            .put("grad_norm", result.gradNorm())
                            .put("tokens_per_sec", Math.round(tokensPerSec))
                            .put("elapsed_s", Math.round(elapsed * 100) / 100.0)
                            .put("tokens_seen", state.tokensSeen());
                    if (skippedSteps > 0) {
                        line.put("skipped_steps", skippedSteps);
                    }
                    describe(line);
                }
                if (evalNow) {
                    evaluateAndSave(line, metrics, tokensPerSec);
                } else if (line != null) {
                    metrics.append(line);
                }
                if (line != null) {
                    windowNanos = 0;
                    windowSteps = 0;
                    windowLoss = 0;
                }
                listener.afterStep(state);
                if (stopEarly.test(state)) {
                    break;
                }
            }
        }
        return state;
    }

    /**
     * Every line says the precision its tokens/s were measured in; the first line this process
     * writes also says why that precision was chosen.
     */
    private ObjectNode describe(ObjectNode line) {
        line.put("precision", model.precision().wireName());
        if (precisionReason != null) {
            line.put("precision_reason", precisionReason);
            precisionReason = null;
        }
        return line;
    }

    /** What to do next, naming only a checkpoint that exists: a run can diverge before its first save. */
    private String lastGoodCheckpoint() {
        Path latest = folder.latest();
        if (java.nio.file.Files.exists(latest.resolve(TrainerState.FILE_NAME))) {
            return "The last good checkpoint is " + latest + " (step " + TrainerState.read(latest).step()
                    + "). Lower learning_rate, set grad_clip, or resume from it with different settings.";
        }
        return "No checkpoint was saved before it (the first comes at step " + options.evalInterval()
                + "). Lower learning_rate or set grad_clip, and start again.";
    }

    private void evaluateAndSave(ObjectNode line, MetricsLog metrics, double tokensPerSec) {
        Double val = validation.isEmpty() ? null : validationLoss();
        if (val != null && !Double.isFinite(val)) {
            throw new TrainingDivergedException("validation loss is " + val + " at step " + state.step()
                    + "; training stopped without saving. " + lastGoodCheckpoint());
        }
        boolean improved = val != null && (state.bestValLoss() == null || val < state.bestValLoss());
        state = new TrainerState(state.step(), state.tokensSeen(), state.learningRate(), state.trainLoss(), val,
                improved ? val : state.bestValLoss(), improved ? state.step() : state.bestStep(),
                state.samplerPosition(), state.seed(), state.elapsedSeconds(), state.run());
        if (val != null) {
            line.put("val_loss", val);
        }
        metrics.append(line);
        folder.publish(model, optimizer, state, improved);
        // One dense line per evaluation (nanoGPT style), on its own line below the bar.
        System.err.printf(Locale.ROOT, "%nstep %d | train %.4f | val %s | lr %.2e | norm %.2f | %,.0f tok/s | %s | saved %s%n",
                state.step(), line.path("train_loss").asDouble(), val == null ? "-" : String.format(Locale.ROOT, "%.4f", val),
                state.learningRate(), line.path("grad_norm").asDouble(), tokensPerSec,
                formatDuration(state.elapsedSeconds()), improved ? "latest, best" : "latest");
        // The curve so far, beside the checkpoints; a chart that cannot be drawn is only a warning.
        dev.chatforge.report.LiveLossChart.refresh(folder.dir());
    }

    /** @param nonFiniteGradients names of the parameters whose gradient has a NaN or infinity (only when the norm is not finite) */
    private record StepResult(double loss, double gradNorm, List<String> nonFiniteGradients) {}

    /** One optimizer step over batch_size · grad_accum windows. */
    private StepResult step(long step, double lr) {
        TokenBatch[] micro = new TokenBatch[options.gradAccum()];
        long trained = 0;
        for (int i = 0; i < micro.length; i++) {
            micro[i] = train.next(options.batchSize());
            trained += micro[i].trainedTokens();
        }
        double divisor = Math.max(1, trained);
        if (model.config().embdPdrop() > 0 || model.config().attnPdrop() > 0 || model.config().residPdrop() > 0) {
            // Dropout masks from a stream seeded by (seed, step): a resumed run draws the same ones.
            Engine.getInstance().setRandomSeed((int) RandomWindows.mix(state.seed(), step));
        }
        Map<String, NDArray> parameters = model.parameters();
        try (NDManager stepManager = model.manager().newSubManager()) {
            double lossSum = 0;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                for (TokenBatch batch : micro) {
                    try (NDManager microManager = stepManager.newSubManager()) {
                        Shape shape = new Shape(batch.rows(), batch.length());
                        NDArray inputs = NativeArrays.of(microManager, batch.inputs(), shape);
                        TiedHeadLoss.Pass head = headLoss.forwardBackward(model.hidden(inputs, true), batch.targets(),
                                batch.weights(), 1 / divisor);
                        collector.backward(head.surrogate());
                        head.addTokenEmbeddingGradient();
                        lossSum += head.lossSum();
                    }
                }
            }
            Map<String, NDArray> gradients = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> p : parameters.entrySet()) {
                NDArray g = p.getValue().getGradient();
                g.attach(stepManager); // the handle is per call: let the step manager free it
                gradients.put(p.getKey(), g);
            }
            gradientHook.accept(gradients);
            double norm = GradientClipping.globalNorm(gradients.values());
            double loss = lossSum / divisor;
            List<String> nonFinite = new ArrayList<>();
            if (Double.isFinite(loss) && Double.isFinite(norm)) {
                optimizer.update(parameters, gradients, lr, GradientClipping.scale(norm, options.gradClip()));
            } else {
                optimizer.skip();
                gradients.forEach((name, g) -> {
                    if (g.isNaN().any().getBoolean() || g.isInfinite().any().getBoolean()) {
                        nonFinite.add(name);
                    }
                });
            }
            for (NDArray p : parameters.values()) {
                // PyTorch accumulates into .grad: zero it for the next step, with a fill (g - g
                // would turn a NaN into a NaN that every later step inherits).
                JniUtils.zeroGrad((PtNDArray) p);
            }
            return new StepResult(loss, norm, nonFinite);
        }
    }

    /** Mean loss over the fixed validation windows (trained tokens only, when masked). */
    public double validationLoss() {
        return meanLoss(model, validation);
    }

    /** Mean weighted loss of {@code model} over {@code batches}, without gradients or dropout. */
    public static double meanLoss(GPT2 model, List<TokenBatch> batches) {
        double sum = 0;
        long count = 0;
        for (TokenBatch batch : batches) {
            try (NDManager m = model.manager().newSubManager()) {
                Shape shape = new Shape(batch.rows(), batch.length());
                NDArray losses = model.tokenLosses(NativeArrays.of(m, batch.inputs(), shape),
                        NativeArrays.of(m, batch.targets(), shape));
                sum += losses.mul(NativeArrays.of(m, batch.weights(), shape)).sum().getFloat();
                count += batch.trainedTokens();
            }
        }
        return count == 0 ? Double.NaN : sum / count;
    }

    static String formatDuration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
