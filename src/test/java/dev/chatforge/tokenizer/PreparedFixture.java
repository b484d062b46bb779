package dev.chatforge.tokenizer;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.chatforge.data.Record;
import dev.chatforge.data.Role;
import dev.chatforge.data.Turn;
import dev.chatforge.io.Json;
import dev.chatforge.io.Manifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes a prepare output folder (train.jsonl, val.jsonl, manifest.json) as the prepare stage would. */
final class PreparedFixture {
    private PreparedFixture() {}

    static Path write(Path dir, List<Record> train, List<Record> val) throws IOException {
        Files.createDirectories(dir);
        writeJsonl(dir.resolve("train.jsonl"), train);
        writeJsonl(dir.resolve("val.jsonl"), val);
        List<Manifest.FileEntry> outputs = List.of(
                Manifest.FileEntry.of(dir.resolve("train.jsonl"), dir),
                Manifest.FileEntry.of(dir.resolve("val.jsonl"), dir));
        Manifest.create("prepare", List.of(), JsonNodeFactory.instance.objectNode(),
                JsonNodeFactory.instance.objectNode(), outputs).writeTo(dir);
        return dir;
    }

    static void writeJsonl(Path file, List<Record> records) throws IOException {
        StringBuilder out = new StringBuilder();
        for (Record r : records) {
            out.append(Json.COMPACT.writeValueAsString(r)).append('\n');
        }
        Files.writeString(file, out.toString(), StandardCharsets.UTF_8);
    }

    static Record doc(String text) {
        return Record.document(Integer.toHexString(text.hashCode()), "test", text);
    }

    static Record chat(String system, String... userAgent) {
        List<Turn> turns = new ArrayList<>();
        if (system != null) {
            turns.add(new Turn(Role.SYSTEM, system));
        }
        for (int i = 0; i < userAgent.length; i++) {
            turns.add(new Turn(i % 2 == 0 ? Role.USER : Role.AGENT, userAgent[i]));
        }
        return Record.conversation(Integer.toHexString(turns.hashCode()), "test", turns);
    }

    /** Documents from the shared test corpus plus a few conversations. */
    static Path mixed(Path dir) throws IOException {
        List<Record> train = new ArrayList<>();
        for (String t : TestTokenizers.corpus()) {
            train.add(doc(t));
        }
        train.add(chat("You are terse.", "Hi there!", "Hello. 😀", "What's 2+2?", "4, of course."));
        train.add(chat(null, "Ça va ?", "Très bien,\r\nmerci.\t"));
        List<Record> val = List.of(
                doc("A validation document, with   spaces and 日本語."),
                chat("Persona", "Question?", "Answer!"));
        return write(dir, train, val);
    }
}
