package dev.chatforge.data;

/** Where a reader delivers what it finds, in input order. */
public interface RecordSink {
    /** A parsed record, not yet cleaned: {@code id} is null, {@code source} is "file:line". */
    void record(Record raw);

    /** A bad record the reader skipped. */
    void problem(Problem problem);
}
