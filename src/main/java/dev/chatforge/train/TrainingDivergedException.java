package dev.chatforge.train;

/** The loss or the gradient norm became NaN or infinite; training stopped without saving. */
public class TrainingDivergedException extends RuntimeException {
    public TrainingDivergedException(String message) {
        super(message);
    }
}
