package dev.chatforge.data;

import java.util.Locale;

/**
 * Why a record did not reach the output. The first group is bad input (skipped and reported
 * with file:line, or fatal with {@code strict: true}); the second is filtering, never an error.
 */
public enum DropReason {
    INVALID_UTF8(true),
    MALFORMED_JSON(true),
    MISSING_FIELD(true),
    MISSING_COLUMN(true),
    EXTRA_COLUMNS(true),
    MALFORMED_CSV(true),
    UNKNOWN_ROLE(true),
    UNCLOSED_INST(true),
    MALFORMED_INST(true),
    EMPTY(false),
    TOO_SHORT(false),
    TOO_LONG(false),
    DUPLICATE(false),
    BLOCKED(false),
    FEW_LETTERS(false),
    REPETITIVE(false);

    private final boolean badInput;

    DropReason(boolean badInput) {
        this.badInput = badInput;
    }

    /** Bad input is what {@code strict: true} stops at; filtering is not. */
    public boolean isBadInput() {
        return badInput;
    }

    /** The name used in manifests and messages ("invalid_utf8"). */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
