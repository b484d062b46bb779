package dev.chatforge.data;

import java.io.IOException;
import java.io.InputStream;

/** Reads one raw file of one format into records, reporting bad records instead of failing. */
public interface RawReader {
    /**
     * @param in   the file's bytes (the caller owns and closes it)
     * @param name the file as the user named it, used in "file:line" sources and messages
     */
    void read(InputStream in, String name, RecordSink sink) throws IOException;

    static RawReader of(RawFormat format, InputSpec spec) {
        return switch (format) {
            case TEXT -> new TextReader(spec.maxRecordBytes(), spec.longRecords().equals("split"));
            case JSONL -> new JsonlReader(spec.maxLineBytes());
            case INST -> new InstReader();
            case CSV -> new CsvReader(spec.userColumn(), spec.agentColumn(), spec.systemColumn());
        };
    }
}
