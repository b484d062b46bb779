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
 */
public record InputSpec(String path, RawFormat format, String userColumn, String agentColumn, String systemColumn) {
    public InputSpec {
        userColumn = userColumn == null ? "user" : userColumn;
        agentColumn = agentColumn == null ? "agent" : agentColumn;
    }

    public static InputSpec of(String path) {
        return new InputSpec(path, null, null, null, null);
    }

    public static InputSpec of(String path, RawFormat format) {
        return new InputSpec(path, format, null, null, null);
    }
}
