package dev.chatforge.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Where a training run stands, saved as {@code trainer_state.json} in every checkpoint: enough,
 * with the weights and the optimizer moments, to continue exactly where it stopped. The data
 * order is the sampler's position; dropout's random stream is reseeded from (seed, step) every
 * step, so it needs no saved state.
 *
 * @param step            optimizer steps completed
 * @param tokensSeen      input tokens processed so far
 * @param learningRate    learning rate of the last step
 * @param trainLoss       training loss of the last step
 * @param valLoss         validation loss at this step, or null when not evaluated
 * @param bestValLoss     lowest validation loss so far, or null
 * @param bestStep        step of {@code bestValLoss}
 * @param samplerPosition {@link DataSampler#position()} after the last step
 * @param seed            the run's seed
 * @param elapsedSeconds  training time so far, across resumes
 * @param run             free-form facts about the run (data folder, parent checkpoint, options)
 */
public record TrainerState(
        long step,
        long tokensSeen,
        double learningRate,
        Double trainLoss,
        Double valLoss,
        Double bestValLoss,
        long bestStep,
        long samplerPosition,
        long seed,
        double elapsedSeconds,
        JsonNode run) {

    public static final String FILE_NAME = "trainer_state.json";

    /** The state before the first step. */
    public static TrainerState start(long seed, JsonNode run) {
        return new TrainerState(0, 0, 0, null, null, null, 0, 0, seed, 0, run);
    }

    /** This state with other facts about the run (a resumed run records its current settings). */
    public TrainerState withRun(JsonNode newRun) {
        return new TrainerState(step, tokensSeen, learningRate, trainLoss, valLoss, bestValLoss, bestStep, samplerPosition,
                seed, elapsedSeconds, newRun);
    }

    public void write(Path dir) throws IOException {
        Files.writeString(dir.resolve(FILE_NAME), Json.MAPPER.writeValueAsString(this) + "\n");
    }

    public static TrainerState read(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        try {
            return Json.MAPPER.readValue(file.toFile(), TrainerState.class);
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new StageInputException(file + ": not found; " + dir + " is not a complete chatforge checkpoint");
        } catch (IOException e) {
            throw new StageInputException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
