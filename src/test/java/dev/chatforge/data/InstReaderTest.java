package dev.chatforge.data;

import static dev.chatforge.data.Collected.agent;
import static dev.chatforge.data.Collected.system;
import static dev.chatforge.data.Collected.user;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class InstReaderTest {
    private final InstReader reader = new InstReader();

    @Test
    void userTurnInsideTagsAgentReplyUntilTheNextInst() throws IOException {
        Collected c = Collected.read(reader, "[INST] Where is my order? [/INST] It ships today. [INST] Thanks! [/INST] You're welcome.\n");
        assertEquals(List.of(), c.problems);
        assertEquals(List.of(user("Where is my order?"), agent("It ships today."), user("Thanks!"), agent("You're welcome.")),
                c.records.get(0).messages());
    }

    @Test
    void turnsMaySpanLinesAndBlankLinesSeparateConversations() throws IOException {
        Collected c = Collected.read(reader, """
                [INST] My parcel
                arrived damaged. [/INST] I'm sorry!
                Please send a photo.
                [INST] Done. [/INST]
                Thank you.

                [INST] Second conversation [/INST] Reply two
                """);
        assertEquals(2, c.records.size());
        assertEquals(List.of(user("My parcel\narrived damaged."), agent("I'm sorry!\nPlease send a photo."), user("Done."),
                agent("Thank you.")), c.records.get(0).messages());
        assertEquals("in.raw:1", c.records.get(0).source());
        assertEquals(List.of(user("Second conversation"), agent("Reply two")), c.records.get(1).messages());
        assertEquals("in.raw:7", c.records.get(1).source());
    }

    @Test
    void understandsLlama2MarkersAndSystemPromptWithABlankLine() throws IOException {
        Collected c = Collected.read(reader, """
                <s>[INST] <<SYS>>
                You are helpful.
                <</SYS>>

                Hi there [/INST] Hello! </s><s>[INST] Bye [/INST] Goodbye. </s>
                """);
        assertEquals(List.of(), c.problems);
        assertEquals(List.of(system("You are helpful."), user("Hi there"), agent("Hello!"), user("Bye"), agent("Goodbye.")),
                c.records.get(0).messages());
    }

    @Test
    void instWithoutCloseIsReportedAndTheNextConversationSurvives() throws IOException {
        Collected c = Collected.read(reader, """
                [INST] ok [/INST] fine

                [INST] never closed, reply lost

                [INST] next [/INST] still read
                [INST] nested [INST] bad [/INST] x
                """);
        assertEquals(2, c.problems.size());
        assertEquals(DropReason.UNCLOSED_INST, c.problems.get(0).reason());
        assertEquals("in.raw:3: [INST] without a matching [/INST]", c.problems.get(0).message());
        assertEquals(List.of(List.of(user("ok"), agent("fine"))), c.records.stream().map(Record::messages).toList());
        assertEquals("in.raw:6: [INST] without a matching [/INST]", c.problems.get(1).message(),
                "a conversation with an [INST] inside an open [INST] is bad from that turn on");
    }

    @Test
    void closeWithoutOpenAndStrayTextAreMalformed() throws IOException {
        Collected c = Collected.read(reader, """
                Hello [INST] q [/INST] a

                [INST] q [/INST] a
                [/INST] stray
                """);
        assertEquals(0, c.records.size());
        assertEquals(DropReason.MALFORMED_INST, c.problems.get(0).reason());
        assertEquals("in.raw:1: text outside [INST] … [/INST] before the first [INST]", c.problems.get(0).message());
        assertEquals("in.raw:4: [/INST] without a preceding [INST]", c.problems.get(1).message());
    }

    @Test
    void invalidUtf8SkipsTheConversation() throws IOException {
        byte[] input = Collected.bytes("[INST] a [/INST] b\n\n[INST] x [/INST] ", new byte[] {(byte) 0xC0, (byte) 0xAF}, "\n\n[INST] c [/INST] d\n");
        Collected c = Collected.read(reader, input);
        assertEquals(2, c.records.size());
        assertEquals("in.raw:3: invalid UTF-8 (conversation skipped)", c.problems.get(0).message());
    }
}
