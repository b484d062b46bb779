package dev.chatforge.data;

import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * CSV (RFC 4180, via commons-csv) with a header row; each row is one exchange, its turns taken
 * from the configured user, agent and optional system columns. Quoted fields may contain
 * commas, doubled quotes and newlines. A header without the configured columns is an error for
 * the whole file; a row with too few fields is skipped as {@code missing_column}, one with
 * more (non-empty) fields than the header as {@code extra_columns}.
 */
final class CsvReader implements RawReader {
    private static final CSVFormat FORMAT = CSVFormat.DEFAULT.builder()
            .setHeader()
            .setSkipHeaderRecord(true)
            .setIgnoreEmptyLines(true)
            .get();

    private final String userColumn;
    private final String agentColumn;
    private final String systemColumn;

    CsvReader(String userColumn, String agentColumn, String systemColumn) {
        this.userColumn = userColumn;
        this.agentColumn = agentColumn;
        this.systemColumn = systemColumn;
    }

    @Override
    public void read(InputStream in, String name, RecordSink sink) throws IOException {
        StrictLines lines = new StrictLines(new LineReader(in));
        CSVParser parser;
        try {
            parser = CSVParser.builder().setReader(lines).setFormat(FORMAT).get();
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new StageInputException(name + ":1: cannot read the CSV header: " + e.getMessage(), e);
        }
        long headerEnd = parser.getCurrentLineNumber();
        if (!lines.badLines.isEmpty() && lines.badLines.peekFirst() <= headerEnd) {
            throw new StageInputException(name + ":" + lines.badLines.peekFirst() + ": invalid UTF-8 in the CSV header");
        }
        Map<String, Integer> header = parser.getHeaderMap();
        List<String> required = new ArrayList<>(List.of(userColumn, agentColumn));
        if (systemColumn != null) {
            required.add(systemColumn);
        }
        for (String column : required) {
            if (!header.containsKey(column)) {
                throw new StageInputException(name + ":1: the CSV header has no column '" + column + "' (columns: "
                        + parser.getHeaderNames() + "); set user_column / agent_column / system_column in the input entry");
            }
        }
        long previousEnd = headerEnd;
        Iterator<CSVRecord> rows = parser.iterator();
        while (true) {
            CSVRecord row;
            try {
                if (!rows.hasNext()) {
                    break;
                }
                row = rows.next();
            } catch (UncheckedIOException | IllegalStateException e) {
                // The lexer cannot resynchronise after e.g. an unterminated quote: the rest of the file is lost.
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                sink.problem(new Problem(DropReason.MALFORMED_CSV, name, previousEnd + 1,
                        "malformed CSV (rest of the file skipped): " + cause.getMessage()));
                return;
            }
            long startLine = previousEnd + 1;
            long endLine = Math.max(startLine, parser.getCurrentLineNumber());
            previousEnd = endLine;
            Long bad = lines.firstBadLineUpTo(endLine);
            if (bad != null) {
                sink.problem(new Problem(DropReason.INVALID_UTF8, name, bad, "invalid UTF-8 (row skipped)"));
                continue;
            }
            List<String> missing = new ArrayList<>();
            for (String column : required) {
                if (!row.isSet(column)) {
                    missing.add(column);
                }
            }
            if (!missing.isEmpty()) {
                sink.problem(new Problem(DropReason.MISSING_COLUMN, name, startLine, "row has " + row.size() + " of "
                        + header.size() + " columns; missing " + missing));
                continue;
            }
            if (hasTextBeyondHeader(row, header.size())) {
                // Usually an unquoted comma in a reply ("it shipped, arriving friday"): keeping the
                // first field would cut the reply, joining would guess; the row is reported instead.
                sink.problem(new Problem(DropReason.EXTRA_COLUMNS, name, startLine, "row has " + row.size()
                        + " fields but the header has " + header.size() + "; quote a field that contains a comma (\"a, b\")"));
                continue;
            }
            List<Turn> turns = new ArrayList<>(3);
            if (systemColumn != null && !row.get(systemColumn).isEmpty()) {
                turns.add(new Turn(Role.SYSTEM, row.get(systemColumn)));
            }
            turns.add(new Turn(Role.USER, row.get(userColumn)));
            turns.add(new Turn(Role.AGENT, row.get(agentColumn)));
            sink.record(Record.conversation(null, name + ":" + startLine, turns));
        }
    }

    /** Fields past the header's count that hold text; empty ones (a trailing comma) lose nothing. */
    private static boolean hasTextBeyondHeader(CSVRecord row, int headerSize) {
        for (int i = headerSize; i < row.size(); i++) {
            if (!row.get(i).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Feeds the CSV parser decoded text line by line, checking each line strictly: the number of
     * a line with invalid UTF-8 is remembered, so the row it falls in is skipped and reported.
     */
    private static final class StrictLines extends Reader {
        private final LineReader lines;
        private final ArrayDeque<Long> badLines = new ArrayDeque<>();
        private String current = "";
        private int offset;

        StrictLines(LineReader lines) {
            this.lines = lines;
        }

        /** The first bad line at or before {@code line}, consuming every such line. */
        Long firstBadLineUpTo(long line) {
            Long first = null;
            while (!badLines.isEmpty() && badLines.peekFirst() <= line) {
                Long l = badLines.pollFirst();
                if (first == null) {
                    first = l;
                }
            }
            return first;
        }

        @Override
        public int read(char[] cbuf, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (offset >= current.length()) {
                if (!lines.next()) {
                    return -1;
                }
                if (!lines.isValidUtf8()) {
                    badLines.addLast(lines.lineNumber());
                }
                // Decoded leniently (bad bytes become U+FFFD) so quotes and commas around them still parse.
                current = lines.text() + "\n";
                offset = 0;
            }
            int n = Math.min(len, current.length() - offset);
            current.getChars(offset, offset + n, cbuf, off);
            offset += n;
            return n;
        }

        @Override
        public void close() {}
    }
}
