package dev.chatforge.data;

import static dev.chatforge.data.Collected.agent;
import static dev.chatforge.data.Collected.system;
import static dev.chatforge.data.Collected.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class CsvReaderTest {
    private final CsvReader reader = new CsvReader("user", "agent", null);

    @Test
    void readsQuotedFieldsWithCommasDoubledQuotesAndEmbeddedNewlines() throws IOException {
        Collected c = Collected.read(reader, "id,user,agent\r\n"
                + "1,\"Hi, I need help\",\"Sure, \"\"happy\"\" to help\"\r\n"
                + "2,\"two\nlines\",\"reply\r\nwith CRLF\"\n"
                + "\n"
                + "3,plain,text\n");
        assertEquals(List.of(), c.problems);
        assertEquals(3, c.records.size());
        assertEquals(List.of(user("Hi, I need help"), agent("Sure, \"happy\" to help")), c.records.get(0).messages());
        assertEquals(List.of(user("two\nlines"), agent("reply\nwith CRLF")), c.records.get(1).messages());
        assertEquals("in.raw:2", c.records.get(0).source());
        assertEquals("in.raw:3", c.records.get(1).source());
        assertEquals(List.of(user("plain"), agent("text")), c.records.get(2).messages());
    }

    @Test
    void columnNamesAreConfigurableIncludingASystemColumn() throws IOException {
        Collected c = Collected.read(new CsvReader("question", "answer", "persona"),
                "persona,question,answer\nBe brief.,Q,A\n,Q2,A2\n");
        assertEquals(List.of(system("Be brief."), user("Q"), agent("A")), c.records.get(0).messages());
        assertEquals(List.of(user("Q2"), agent("A2")), c.records.get(1).messages(), "an empty system cell adds no turn");
    }

    @Test
    void aRowMissingAColumnIsReportedWithItsLine() throws IOException {
        Collected c = Collected.read(reader, "user,agent\nq1,a1\nonly a question\n\"q3\nspans\",a3\n");
        assertEquals(2, c.records.size());
        assertEquals(1, c.problems.size());
        assertEquals(DropReason.MISSING_COLUMN, c.problems.get(0).reason());
        assertEquals("in.raw:3: row has 1 of 2 columns; missing [agent]", c.problems.get(0).message());
        assertEquals("in.raw:4", c.records.get(1).source());
    }

    @Test
    void aRowWithMoreFieldsThanTheHeaderIsABadLineNotTruncated() throws IOException {
        Collected c = Collected.read(reader, "user,agent\nwhere is my order?,it shipped, arriving friday, sorry\n"
                + "q2,\"a2, quoted\"\n");
        assertEquals(1, c.records.size(), "only the row whose fields match the header is kept");
        assertEquals(List.of(user("q2"), agent("a2, quoted")), c.records.get(0).messages());
        assertEquals(1, c.problems.size());
        assertEquals(DropReason.EXTRA_COLUMNS, c.problems.get(0).reason());
        assertTrue(c.problems.get(0).message().startsWith("in.raw:2: row has 4 fields but the header has 2"),
                c.problems.get(0).message());
        assertTrue(c.problems.get(0).message().contains("quote"), c.problems.get(0).message());
    }

    @Test
    void aHeaderWithoutTheColumnsFailsTheFile() {
        StageInputException e = assertThrows(StageInputException.class, () -> Collected.read(reader, "question,answer\nq,a\n"));
        assertTrue(e.getMessage().startsWith("in.raw:1: the CSV header has no column 'user' (columns: [question, answer])"),
                e.getMessage());
    }

    @Test
    void invalidUtf8SkipsTheRowItFallsIn() throws IOException {
        byte[] input = Collected.bytes("user,agent\nq1,a1\n\"q2\nbad ", new byte[] {(byte) 0xE2, (byte) 0x82}, "\",a2\nq3,a3\n");
        Collected c = Collected.read(reader, input);
        assertEquals(List.of("in.raw:2", "in.raw:5"), c.records.stream().map(Record::source).toList());
        assertEquals("in.raw:4: invalid UTF-8 (row skipped)", c.problems.get(0).message());
    }

    @Test
    void anUnterminatedQuoteStopsTheFileWithAMessage() throws IOException {
        Collected c = Collected.read(reader, "user,agent\nq1,a1\n\"never closed,a2\nq3,a3\n");
        assertEquals(1, c.records.size());
        assertEquals(DropReason.MALFORMED_CSV, c.problems.get(0).reason());
        assertTrue(c.problems.get(0).message().startsWith("in.raw:3: malformed CSV"), c.problems.get(0).message());
    }
}
