package dev.chatforge.data;

import java.util.ArrayList;
import java.util.List;

/**
 * What the content steps of cleaning did to one record: personal data redacted (by type),
 * block-list matches masked, words corrected. Filled on a cleaning thread, summed into
 * {@link PrepareStats} by the writing thread for the records it keeps.
 */
public final class CleaningTally {
    /** One piece of personal data as it was found: for the dry run's masked sample. */
    public record Found(PiiType type, String text) {}

    final int[] redacted = new int[PiiType.values().length];
    int masked;
    int corrected;
    private final List<Found> found;

    /** @param keepOriginals keep each original found (the dry run shows a masked sample of them) */
    public CleaningTally(boolean keepOriginals) {
        this.found = keepOriginals ? new ArrayList<>(2) : null;
    }

    void redacted(PiiType type, String text, int start, int end) {
        redacted[type.ordinal()]++;
        if (found != null) {
            found.add(new Found(type, text.substring(start, end)));
        }
    }

    public int redacted(PiiType type) {
        return redacted[type.ordinal()];
    }

    public int masked() {
        return masked;
    }

    public int corrected() {
        return corrected;
    }

    /** The originals found, in text order per detector; empty unless kept. */
    public List<Found> found() {
        return found == null ? List.of() : found;
    }

    boolean isEmpty() {
        if (masked != 0 || corrected != 0) {
            return false;
        }
        for (int n : redacted) {
            if (n != 0) {
                return false;
            }
        }
        return true;
    }
}
