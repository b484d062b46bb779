package dev.chatforge.data;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The raw input formats prepare reads. Detected from the file name unless the config's
 * {@code format:} says otherwise:
 * <ul>
 *   <li>{@code text}: {@code .txt}, {@code .text} — documents separated by blank lines;</li>
 *   <li>{@code jsonl}: {@code .jsonl}, {@code .json}, {@code .ndjson} — one JSON object per line
 *       (pairs, multi-turn {@code messages}, or {@code text} documents);</li>
 *   <li>{@code inst}: {@code .inst}, {@code .inst.txt} — {@code [INST] … [/INST] …} tagged text,
 *       conversations separated by blank lines;</li>
 *   <li>{@code csv}: {@code .csv} — a header row, user/agent(/system) columns by name.</li>
 * </ul>
 */
public enum RawFormat {
    TEXT, JSONL, INST, CSV;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static RawFormat parse(String name) {
        for (RawFormat f : values()) {
            if (f.wireName().equalsIgnoreCase(name.trim())) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown format '" + name + "' (expected one of "
                + Arrays.stream(values()).map(RawFormat::wireName).toList() + ")");
    }

    /** The format a file name implies, or null when the extension says nothing we know. */
    public static RawFormat detect(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        // .inst.txt before .txt: the more specific suffix wins.
        if (name.endsWith(".inst") || name.endsWith(".inst.txt")) {
            return INST;
        }
        if (name.endsWith(".txt") || name.endsWith(".text")) {
            return TEXT;
        }
        if (name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson")) {
            return JSONL;
        }
        if (name.endsWith(".csv")) {
            return CSV;
        }
        return null;
    }
}
