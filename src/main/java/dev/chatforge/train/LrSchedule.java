package dev.chatforge.train;

/**
 * Learning rate per step: linear warm-up from ~0 to {@code peak} over {@code warmupSteps}, then
 * cosine decay to {@code floor} at {@code decaySteps}, and {@code floor} after that (as
 * nanoGPT's {@code get_lr}). A pure function of the step, so a resumed run continues on the
 * same curve.
 *
 * @param peak        learning rate at the end of warm-up
 * @param floor       learning rate at and after {@code decaySteps}
 * @param warmupSteps steps of linear warm-up (0: start at the peak)
 * @param decaySteps  step at which the cosine reaches the floor (usually max_steps)
 */
public record LrSchedule(double peak, double floor, long warmupSteps, long decaySteps) {

    public LrSchedule {
        if (!(peak > 0) || !(floor >= 0) || floor > peak || warmupSteps < 0) {
            throw new IllegalArgumentException("need peak > 0, 0 <= floor <= peak, warmup >= 0; got peak " + peak
                    + ", floor " + floor + ", warmup " + warmupSteps);
        }
    }

    /** A constant rate, for tests and short fine-tunes. */
    public static LrSchedule constant(double lr) {
        return new LrSchedule(lr, lr, 0, 0);
    }

    /** The learning rate for step {@code step} (0-based: the first update uses {@code at(0)}). */
    public double at(long step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / (warmupSteps + 1);
        }
        if (step >= decaySteps) {
            return floor;
        }
        double progress = (double) (step - warmupSteps) / Math.max(1, decaySteps - warmupSteps);
        double cosine = 0.5 * (1 + Math.cos(Math.PI * progress)); // 1 → 0
        return floor + cosine * (peak - floor);
    }
}
