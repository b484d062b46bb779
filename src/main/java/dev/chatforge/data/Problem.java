package dev.chatforge.data;

/**
 * A piece of bad input a reader skipped: where it is and what is wrong with it.
 *
 * @param file the input file as the user named it
 * @param line 1-based line where the bad record starts
 */
public record Problem(DropReason reason, String file, long line, String detail) {
    /** "data/raw/chat.jsonl:12: malformed JSON: ..." — the form every report uses. */
    public String message() {
        return file + ":" + line + ": " + detail;
    }
}
