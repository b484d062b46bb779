package dev.chatforge.finetune;

import dev.chatforge.train.TrainerState;
import java.util.function.Predicate;

/**
 * Early stopping on validation loss: stop once {@code patience} evaluations in a row have not
 * improved on the best one. The best checkpoint is already saved by then, so stopping loses
 * nothing; {@code patience} 0 never stops.
 */
public record EarlyStopping(int patience, int evalInterval) implements Predicate<TrainerState> {

    @Override
    public boolean test(TrainerState state) {
        return patience > 0 && state.valLoss() != null && state.bestValLoss() != null
                && state.step() - state.bestStep() >= (long) patience * evalInterval;
    }
}
