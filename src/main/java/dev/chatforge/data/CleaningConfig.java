package dev.chatforge.data;

/**
 * The cleaning steps of prepare ({@code prepare.cleaning}), applied in this order to a
 * document's text and to each turn of a conversation.
 *
 * @param stripHtml          remove HTML tags (block tags become line breaks, script/style
 *                           bodies are dropped) and decode entities such as {@code &amp;}
 * @param nfkc               Unicode NFKC normalisation (full-width letters, ligatures, ...)
 * @param removeControl      remove control and invisible format characters (keeps tab and newline)
 * @param removeChars        further characters to remove, given as a string, e.g. "•¶"
 * @param collapseWhitespace runs of spaces/tabs become one space, lines are trimmed, and more
 *                           than one blank line becomes one (paragraph breaks are kept)
 * @param lowercase          lower-case everything
 */
public record CleaningConfig(boolean stripHtml, boolean nfkc, boolean removeControl, String removeChars,
                             boolean collapseWhitespace, boolean lowercase) {
    public CleaningConfig {
        removeChars = removeChars == null ? "" : removeChars;
    }

    public static CleaningConfig defaults() {
        return new CleaningConfig(false, true, true, "", true, false);
    }

    /** Every step off: text passes through unchanged. */
    public static CleaningConfig none() {
        return new CleaningConfig(false, false, false, "", false, false);
    }
}
