package dev.chatforge.data;

import java.io.IOException;
import java.io.InputStream;

/**
 * Plain text: documents separated by one or more blank lines (lines of only spaces/tabs). A
 * document's lines are kept, joined with {@code \n}. A document with an invalid UTF-8 line is
 * skipped whole and reported at that line.
 */
final class TextReader implements RawReader {
    @Override
    public void read(InputStream in, String name, RecordSink sink) throws IOException {
        LineReader lines = new LineReader(in);
        StringBuilder doc = new StringBuilder();
        long firstLine = 0;
        long badLine = 0;
        while (lines.next()) {
            if (lines.isBlank()) {
                flush(doc, name, firstLine, badLine, sink);
                firstLine = 0;
                badLine = 0;
                continue;
            }
            if (firstLine == 0) {
                firstLine = lines.lineNumber();
            }
            if (!lines.isValidUtf8()) {
                if (badLine == 0) {
                    badLine = lines.lineNumber();
                }
                doc.setLength(0);
            } else if (badLine == 0) {
                if (doc.length() > 0) {
                    doc.append('\n');
                }
                doc.append(lines.text());
            }
        }
        flush(doc, name, firstLine, badLine, sink);
    }

    private static void flush(StringBuilder doc, String name, long firstLine, long badLine, RecordSink sink) {
        if (badLine != 0) {
            sink.problem(new Problem(DropReason.INVALID_UTF8, name, badLine, "invalid UTF-8 (document skipped)"));
        } else if (firstLine != 0) {
            sink.record(Record.document(null, name + ":" + firstLine, doc.toString()));
        }
        doc.setLength(0);
    }
}
