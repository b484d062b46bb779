package dev.chatforge.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.chatforge.data.Record;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A prepared split ({@code train.jsonl}, {@code val.jsonl}: one {@link Record} per line) read as
 * batches of raw lines, so parsing happens on the worker threads. Blank lines are skipped; every
 * error names the file and line.
 */
final class PreparedSplit implements Iterator<PreparedSplit.Batch>, AutoCloseable {
    private static final ObjectReader RECORD = Json.COMPACT.readerFor(Record.class);

    private final Path file;
    private final BufferedReader reader;
    private final int batchChars;
    private long lineNumber;
    private Batch next;

    /** Raw lines with the number of the first ({@code null}: a blank line) and their size in bytes. */
    record Batch(Path file, long firstLine, List<String> lines, long bytes) {
        /** Parses the lines; a bad line is a {@link StageInputException} naming file and line. */
        List<Record> records() {
            List<Record> out = new ArrayList<>(lines.size());
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line == null) {
                    continue;
                }
                long number = firstLine + i;
                Record r;
                try {
                    r = RECORD.readValue(line);
                } catch (JsonProcessingException e) {
                    throw new StageInputException(file + ":" + number + ": not a valid prepared record: "
                            + e.getOriginalMessage());
                }
                if (r == null || (r.text() == null && r.messages() == null)) {
                    throw new StageInputException(file + ":" + number + ": record has neither 'text' nor 'messages'");
                }
                out.add(r);
            }
            return out;
        }
    }

    PreparedSplit(Path file, int batchChars) {
        this.file = file;
        this.batchChars = batchChars;
        try {
            this.reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new StageInputException(file + ": not found");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + dev.chatforge.io.IoErrors.reason(e), e);
        }
    }

    /** The text a record stands for, as segments: a document is one trained segment. */
    static List<ChatTemplate.Segment> render(Record record, ChatTemplate template) {
        if (record.isConversation()) {
            return template.render(record.messages());
        }
        return List.of(new ChatTemplate.Segment(record.text(), true));
    }

    /** True when the file holds at least one non-blank line. */
    static boolean hasRecords(Path file) {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isBlank()) {
                    return true;
                }
            }
            return false;
        } catch (NoSuchFileException e) {
            throw new StageInputException(file + ": not found");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + dev.chatforge.io.IoErrors.reason(e), e);
        }
    }

    @Override
    public boolean hasNext() {
        if (next == null) {
            next = readBatch();
        }
        return next != null;
    }

    @Override
    public Batch next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Batch b = next;
        next = null;
        return b;
    }

    private Batch readBatch() {
        List<String> lines = new ArrayList<>();
        long first = lineNumber + 1;
        long chars = 0;
        long bytes = 0;
        try {
            String line;
            while (chars < batchChars && (line = reader.readLine()) != null) {
                lineNumber++;
                lines.add(line.isBlank() ? null : line);
                chars += line.length() + 1;
                bytes += SplitEncoder.utf8Length(line) + 1; // for progress against the file size
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + dev.chatforge.io.IoErrors.reason(e), e);
        }
        return lines.isEmpty() ? null : new Batch(file, first, lines, bytes);
    }

    @Override
    public void close() {
        try {
            reader.close();
        } catch (IOException ignored) {
            // read-only; nothing to lose
        }
    }
}
