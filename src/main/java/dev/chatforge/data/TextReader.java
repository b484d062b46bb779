package dev.chatforge.data;

import java.io.IOException;
import java.io.InputStream;

/**
 * Plain text: documents separated by one or more blank lines (lines of only spaces/tabs). A
 * document's lines are kept, joined with {@code \n}. A document with an invalid UTF-8 line is
 * skipped whole and reported at that line.
 *
 * <p>A document is at most {@code max_record_bytes} of UTF-8, so text of any shape (a 50 MB file
 * without a blank line, or without a newline) is read in bounded memory. A longer document is
 * skipped and counted as {@code too_long} (its lines are not kept while it is read); with
 * {@code long_records: split} it becomes several records instead, cut between lines, and a line
 * longer than the limit at its last space or tab before the limit (else at a character boundary).
 */
final class TextReader implements RawReader {
    private final long maxRecordBytes;
    private final boolean split;

    TextReader(long maxRecordBytes, boolean split) {
        this.maxRecordBytes = maxRecordBytes;
        this.split = split;
    }

    TextReader() {
        this(InputSpec.DEFAULT_MAX_RECORD_BYTES, false);
    }

    /** The document being read. */
    private static final class Doc {
        final StringBuilder text = new StringBuilder();
        long bytes;
        long firstLine;
        long badLine;
        boolean tooLong;

        void clear() {
            text.setLength(0);
            bytes = 0;
            firstLine = 0;
            badLine = 0;
            tooLong = false;
        }
    }

    @Override
    public void read(InputStream in, String name, RecordSink sink) throws IOException {
        LineReader lines = new LineReader(in, maxRecordBytes, split);
        Doc doc = new Doc();
        boolean previousContinues = false;
        while (lines.next()) {
            boolean joinsPrevious = previousContinues;
            previousContinues = lines.continues();
            if (!joinsPrevious && lines.isBlank()) {
                flush(doc, name, sink);
                continue;
            }
            long separator = doc.firstLine == 0 || joinsPrevious ? 0 : 1;
            long length = lines.length();
            if (split && doc.firstLine != 0 && doc.bytes + separator + length > maxRecordBytes) {
                flush(doc, name, sink); // the part so far is a record; this line (or piece) starts the next
                separator = 0;
            }
            if (doc.firstLine == 0) {
                doc.firstLine = lines.lineNumber();
            }
            doc.bytes += separator + length;
            if (lines.isTooLong() || doc.bytes > maxRecordBytes) {
                doc.tooLong = true; // skipped: nothing more of it is kept
                doc.text.setLength(0);
                continue;
            }
            if (!lines.isValidUtf8()) {
                if (doc.badLine == 0) {
                    doc.badLine = lines.lineNumber();
                }
                doc.text.setLength(0);
            } else if (doc.badLine == 0 && !doc.tooLong) {
                if (separator > 0) {
                    doc.text.append('\n');
                }
                doc.text.append(lines.text());
            }
        }
        flush(doc, name, sink);
    }

    private void flush(Doc doc, String name, RecordSink sink) {
        if (doc.tooLong) {
            sink.problem(new Problem(DropReason.TOO_LONG, name, doc.firstLine, "document of " + doc.bytes
                    + " bytes is longer than max_record_bytes (" + maxRecordBytes + "); raise max_record_bytes in this "
                    + "input's entry, or set long_records: split to cut it into records"));
        } else if (doc.badLine != 0) {
            sink.problem(new Problem(DropReason.INVALID_UTF8, name, doc.badLine, "invalid UTF-8 (document skipped)"));
        } else if (doc.firstLine != 0) {
            sink.record(Record.document(null, name + ":" + doc.firstLine, doc.text.toString()));
        }
        doc.clear();
    }
}
