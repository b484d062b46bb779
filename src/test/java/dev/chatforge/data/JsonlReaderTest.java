package dev.chatforge.data;

import static dev.chatforge.data.Collected.agent;
import static dev.chatforge.data.Collected.system;
import static dev.chatforge.data.Collected.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonlReaderTest {
    private final JsonlReader reader = new JsonlReader();

    @Test
    void readsPairsWithOptionalSystemAndKeepsFileLineAsSource() throws IOException {
        Collected c = Collected.read(reader, """
                {"user": "Where is my order?", "agent": "It ships today."}

                {"system": "Be kind.", "user": "Hi", "agent": "Hello!", "category": {"ignored": [1, 2]}}
                """);
        assertEquals(List.of(), c.problems);
        assertEquals(2, c.records.size());
        assertEquals(List.of(user("Where is my order?"), agent("It ships today.")), c.records.get(0).messages());
        assertEquals("in.raw:1", c.records.get(0).source());
        assertEquals(List.of(system("Be kind."), user("Hi"), agent("Hello!")), c.records.get(1).messages());
        assertEquals("in.raw:3", c.records.get(1).source(), "blank lines are skipped but still counted");
        assertNull(c.records.get(0).id(), "ids are given after cleaning");
    }

    @Test
    void readsMultiTurnMessagesWithAssistantAsAgent() throws IOException {
        Collected c = Collected.read(reader, "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"}, "
                + "{\"role\": \"user\", \"content\": \"Q1\"}, {\"role\": \"assistant\", \"content\": \"A1\"}, "
                + "{\"content\": \"Q2\", \"role\": \"User\"}, {\"role\": \"agent\", \"content\": \"A2\", \"name\": \"x\"}]}\n");
        assertEquals(List.of(system("S"), user("Q1"), agent("A1"), user("Q2"), agent("A2")), c.records.get(0).messages());
    }

    @Test
    void readsTextDocuments() throws IOException {
        Collected c = Collected.read(reader, "{\"text\": \"line one\\nline two\"}\n");
        assertEquals("line one\nline two", c.records.get(0).text());
    }

    @Test
    void decodesNestedQuotesEscapesAndBracesInsideStrings() throws IOException {
        Collected c = Collected.read(reader,
                "{\"user\": \"He said \\\"use {curly} [brackets]\\\" \\\\o/\", \"agent\": \"caf\\u00e9 \\ud83d\\ude00 \\\"ok\\\"\"}\r\n");
        assertEquals(List.of(), c.problems);
        assertEquals(List.of(user("He said \"use {curly} [brackets]\" \\o/"), agent("café 😀 \"ok\"")), c.records.get(0).messages());
    }

    @Test
    void reportsMalformedJsonWithFileAndLineAndGoesOn() throws IOException {
        Collected c = Collected.read(reader, """
                {"user": "a", "agent": "b"}
                {"user": "a", "agent": "b"
                {"user": "c", "agent": "d"}
                [1, 2]
                {"user": "e", "agent": "f"} {"user": "g"}
                """);
        assertEquals(2, c.records.size());
        assertEquals(3, c.problems.size());
        Problem first = c.problems.get(0);
        assertEquals(DropReason.MALFORMED_JSON, first.reason());
        assertTrue(first.message().startsWith("in.raw:2: malformed JSON"), first.message());
        assertEquals(4, c.problems.get(1).line());
        assertTrue(c.problems.get(2).message().startsWith("in.raw:5: malformed JSON: more than one value"), c.problems.get(2).message());
    }

    @Test
    void reportsMissingFieldsAndWrongTypes() throws IOException {
        Collected c = Collected.read(reader, """
                {"user": "only a question"}
                {"agent": 42, "user": "q"}
                {"messages": "not a list"}
                {"messages": [{"role": "user"}]}
                {"id": "x"}
                """);
        assertEquals(0, c.records.size());
        assertEquals(5, c.problems.size());
        c.problems.forEach(p -> assertEquals(DropReason.MISSING_FIELD, p.reason()));
        assertEquals("in.raw:1: has 'user' but no 'agent'", c.problems.get(0).message());
        assertEquals("in.raw:2: 'agent' must be a string, got a number", c.problems.get(1).message());
        assertEquals("in.raw:4: messages[0] has no 'content'", c.problems.get(3).message());
    }

    @Test
    void reportsUnknownRole() throws IOException {
        Collected c = Collected.read(reader, "{\"user\":\"x\",\"agent\":\"y\"}\n"
                + "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"robot\", \"content\": \"beep\"}]}\n");
        assertEquals(1, c.problems.size());
        assertEquals(DropReason.UNKNOWN_ROLE, c.problems.get(0).reason());
        assertEquals("in.raw:2: messages[1]: unknown role 'robot' (expected system, user, agent or assistant)", c.problems.get(0).message());
    }

    @Test
    void reportsInvalidUtf8WithItsLine() throws IOException {
        byte[] input = Collected.bytes("{\"user\":\"a\",\"agent\":\"b\"}\n{\"user\":\"", new byte[] {(byte) 0xC3, (byte) 0x28},
                "\",\"agent\":\"b\"}\n{\"user\":\"", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, "\",\"agent\":\"surrogate\"}\n");
        Collected c = Collected.read(reader, input);
        assertEquals(1, c.records.size());
        assertEquals(2, c.problems.size());
        assertEquals("in.raw:2: invalid UTF-8", c.problems.get(0).message());
        assertEquals(DropReason.INVALID_UTF8, c.problems.get(1).reason());
        assertEquals(3, c.problems.get(1).line());
    }

    @Test
    void skipsAByteOrderMarkAndReadsLongLines() throws IOException {
        String longReply = "x".repeat(3_000_000);  // longer than the line reader's first buffer
        Collected c = Collected.read(reader, Collected.bytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
                "{\"user\":\"q\",\"agent\":\"" + longReply + "\"}\n{\"user\":\"q2\",\"agent\":\"a2\"}"));
        assertEquals(List.of(), c.problems);
        assertEquals(longReply, c.records.get(0).messages().get(1).content());
        assertEquals("in.raw:2", c.records.get(1).source(), "a last line without a newline is read");
    }
}
