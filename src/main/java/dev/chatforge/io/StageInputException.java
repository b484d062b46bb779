package dev.chatforge.io;

/**
 * Bad input to a stage: a missing or malformed file, a mismatch between stages. The message
 * names the file (and line or key where there is one) and is shown to the user as is; the
 * command exits with status 1.
 */
public class StageInputException extends RuntimeException {
    public StageInputException(String message) {
        super(message);
    }

    public StageInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
