package dev.chatforge.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
