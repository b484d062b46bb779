package dev.chatforge.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextReaderTest {
    private final TextReader reader = new TextReader();

    private static List<String> texts(Collected c) {
        return c.records.stream().map(Record::text).toList();
    }

    @Test
    void blankLinesSeparateDocumentsAndLinesWithinAreKept() throws IOException {
        Collected c = Collected.read(reader, "\n\nFirst paragraph,\nsecond line.\n\n\n  \t \nSecond document.\r\nStill second.\n\nThird");
        assertEquals(List.of("First paragraph,\nsecond line.", "Second document.\nStill second.", "Third"), texts(c));
        assertEquals("in.raw:3", c.records.get(0).source());
        assertEquals("in.raw:8", c.records.get(1).source());
        assertEquals("in.raw:11", c.records.get(2).source());
    }

    @Test
    void aDocumentWithInvalidUtf8IsSkippedWholeAndReportedAtTheBadLine() throws IOException {
        byte[] input = Collected.bytes("good one\n\nbad doc starts\nhere ", new byte[] {(byte) 0xFF}, "\nand ends\n\ngood two\n");
        Collected c = Collected.read(reader, input);
        assertEquals(List.of("good one", "good two"), texts(c));
        assertEquals(1, c.problems.size());
        assertEquals("in.raw:4: invalid UTF-8 (document skipped)", c.problems.get(0).message());
    }

    @Test
    void emptyInputHasNoDocuments() throws IOException {
        assertEquals(List.of(), texts(Collected.read(reader, "\n \n")));
    }

    @Test
    void aDocumentOverMaxRecordBytesIsSkippedAndCountedNotHeld() throws IOException {
        TextReader limited = new TextReader(20, false);
        Collected c = Collected.read(limited, "short one\n\n" + "x".repeat(50) + "\n\nline one is ok\nline two too\n\nlast");
        assertEquals(List.of("short one", "last"), texts(c));
        assertEquals(2, c.problems.size());
        assertEquals(DropReason.TOO_LONG, c.problems.get(0).reason());
        assertTrue(c.problems.get(0).message().startsWith("in.raw:3: document of 50 bytes is longer than max_record_bytes (20)"),
                c.problems.get(0).message());
        assertTrue(c.problems.get(1).message().startsWith("in.raw:5: document of 27 bytes"), c.problems.get(1).message());
    }

    @Test
    void splitCutsALongDocumentAtLinesAndALongLineAtSpacesIntoRecordsUnderTheLimit() throws IOException {
        TextReader splitting = new TextReader(20, true);
        Collected c = Collected.read(splitting, "line one is ok\nline two too\n\n"
                + "alpha beta gamma delta epsilon zeta eta theta\n\n" + "y".repeat(45) + "\n");
        List<String> texts = texts(c);
        assertEquals(List.of(), c.problems);
        assertEquals(List.of("line one is ok", "line two too", "alpha beta gamma ", "delta epsilon zeta ", "eta theta",
                "y".repeat(20), "y".repeat(20), "yyyyy"), texts);
        assertEquals("in.raw:1", c.records.get(0).source());
        assertEquals("in.raw:2", c.records.get(1).source());
        assertEquals("in.raw:4", c.records.get(3).source());
    }
}
