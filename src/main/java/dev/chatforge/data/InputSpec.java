package dev.chatforge.data;

/**
 * One entry of {@code prepare.inputs}: a file or a folder (read recursively, files in name
 * order), with an optional format that overrides detection by extension, and the CSV column
 * names.
 *
 * @param path         a file or folder
 * @param format       text, jsonl, inst or csv; null = by extension
 * @param userColumn   CSV column holding the user turn (default "user")
 * @param agentColumn  CSV column holding the agent turn (default "agent")
 * @param systemColumn CSV column holding an optional system prompt; null = none
 * @param maxLineBytes the longest JSONL line read (default 16 MiB): a longer one is skipped and
 *                     counted as {@code too_long} without being held in memory
 */
public record InputSpec(String path, RawFormat format, String userColumn, String agentColumn, String systemColumn,
                        Long maxLineBytes) {
    public static final long DEFAULT_MAX_LINE_BYTES = 16L << 20;

    public InputSpec {
        userColumn = userColumn == null ? "user" : userColumn;
        agentColumn = agentColumn == null ? "agent" : agentColumn;
        maxLineBytes = maxLineBytes == null ? DEFAULT_MAX_LINE_BYTES : maxLineBytes;
    }

    public InputSpec(String path, RawFormat format, String userColumn, String agentColumn, String systemColumn) {
        this(path, format, userColumn, agentColumn, systemColumn, null);
    }

    public static InputSpec of(String path) {
        return new InputSpec(path, null, null, null, null);
    }

    public static InputSpec of(String path, RawFormat format) {
        return new InputSpec(path, format, null, null, null);
    }

    public InputSpec withMaxLineBytes(long bytes) {
        return new InputSpec(path, format, userColumn, agentColumn, systemColumn, bytes);
    }
}
