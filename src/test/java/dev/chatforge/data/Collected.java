package dev.chatforge.data;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A sink that keeps what a reader delivers, for tests. */
final class Collected implements RecordSink {
    final List<Record> records = new ArrayList<>();
    final List<Problem> problems = new ArrayList<>();

    @Override
    public void record(Record raw) {
        records.add(raw);
    }

    @Override
    public void problem(Problem problem) {
        problems.add(problem);
    }

    static Collected read(RawReader reader, String text) throws IOException {
        return read(reader, text.getBytes(StandardCharsets.UTF_8));
    }

    static Collected read(RawReader reader, byte[] bytes) throws IOException {
        Collected c = new Collected();
        reader.read(new ByteArrayInputStream(bytes), "in.raw", c);
        return c;
    }

    /** Joins byte chunks, for inputs with deliberately invalid UTF-8. */
    static byte[] bytes(Object... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (Object p : parts) {
            byte[] b = p instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : (byte[]) p;
            out.writeBytes(b);
        }
        return out.toByteArray();
    }

    static Turn user(String s) {
        return new Turn(Role.USER, s);
    }

    static Turn agent(String s) {
        return new Turn(Role.AGENT, s);
    }

    static Turn system(String s) {
        return new Turn(Role.SYSTEM, s);
    }
}
