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
 * @param maxRecordBytes the longest text document (format text; default 1 MiB): a longer one is
 *                     skipped and counted as {@code too_long}, or split (see {@code longRecords}),
 *                     never held in memory whole
 * @param longRecords  skip (default) or split: what a text document over max_record_bytes becomes
 */
public record InputSpec(String path, RawFormat format, String userColumn, String agentColumn, String systemColumn,
                        Long maxLineBytes, Long maxRecordBytes, String longRecords) {
    public static final long DEFAULT_MAX_LINE_BYTES = 16L << 20;
    /** Far above a real document (a long article is 50-100 KB), far below what strains memory. */
    public static final long DEFAULT_MAX_RECORD_BYTES = 1L << 20;
    public static final java.util.List<String> LONG_RECORDS = java.util.List.of("skip", "split");

    public InputSpec {
        userColumn = userColumn == null ? "user" : userColumn;
        agentColumn = agentColumn == null ? "agent" : agentColumn;
        maxLineBytes = maxLineBytes == null ? DEFAULT_MAX_LINE_BYTES : maxLineBytes;
        maxRecordBytes = maxRecordBytes == null ? DEFAULT_MAX_RECORD_BYTES : maxRecordBytes;
        longRecords = longRecords == null ? "skip" : longRecords;
    }

    public InputSpec(String path, RawFormat format, String userColumn, String agentColumn, String systemColumn) {
        this(path, format, userColumn, agentColumn, systemColumn, null, null, null);
    }

    public static InputSpec of(String path) {
        return new InputSpec(path, null, null, null, null);
    }

    public static InputSpec of(String path, RawFormat format) {
        return new InputSpec(path, format, null, null, null);
    }

    public InputSpec withMaxLineBytes(long bytes) {
        return new InputSpec(path, format, userColumn, agentColumn, systemColumn, bytes, maxRecordBytes, longRecords);
    }
}
