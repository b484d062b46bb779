package dev.chatforge.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import dev.chatforge.io.Hashing;
import dev.chatforge.io.Json;
import dev.chatforge.io.Manifest;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Writes records to a JSONL file, one compact JSON object per line, hashing the bytes on the
 * way out so the manifest's SHA-256 costs no second read of the file.
 */
final class RecordWriter implements AutoCloseable {
    /**
     * The shared mapper's factory, but writing characters outside the BMP (emoji) as 4-byte UTF-8
     * rather than as escaped surrogate pairs, exactly as the mapper's string output does.
     */
    private static final JsonFactory FACTORY = Json.COMPACT.getFactory().rebuild()
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .build();

    private final Path file;
    private final MessageDigest digest = Hashing.newSha256();
    private final OutputStream out;
    private final JsonGenerator json;

    RecordWriter(Path file) throws IOException {
        this.file = file;
        OutputStream target = file == null ? OutputStream.nullOutputStream() : Files.newOutputStream(file);
        this.out = new BufferedOutputStream(new DigestOutputStream(target, digest), 1 << 16);
        this.json = FACTORY.createGenerator(out);
        json.setRootValueSeparator(null);  // we write our own newline after each record
    }

    /** Writes one record; the same bytes as {@code Json.COMPACT.writeValueAsString(record)}, without its reflection. */
    void write(Record record) throws IOException {
        json.writeStartObject();
        if (record.id() != null) {
            json.writeStringField("id", record.id());
        }
        if (record.source() != null) {
            json.writeStringField("source", record.source());
        }
        if (record.text() != null) {
            json.writeStringField("text", record.text());
        }
        if (record.messages() != null) {
            json.writeArrayFieldStart("messages");
            for (Turn turn : record.messages()) {
                json.writeStartObject();
                json.writeStringField("role", turn.role().wireName());
                json.writeStringField("content", turn.content());
                json.writeEndObject();
            }
            json.writeEndArray();
        }
        json.writeEndObject();
        json.writeRaw('\n');
    }

    /** A writer that writes nothing: for prepare's dry run, which counts what it would write. */
    static RecordWriter discarding() throws IOException {
        return new RecordWriter(null);
    }

    /** Closes the file and describes it for the manifest (path relative to its folder); null when discarding. */
    Manifest.FileEntry finish() throws IOException {
        close();
        if (file == null) {
            return null;
        }
        return new Manifest.FileEntry(file.getFileName().toString(), Files.size(file), HexFormat.of().formatHex(digest.digest()));
    }

    @Override
    public void close() throws IOException {
        if (!json.isClosed()) {
            json.close();
        }
    }
}
