package dev.chatforge.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StopConditionTest {
    private final StopCondition stop = new StopCondition(Set.of(4), List.of("\n\n", "User:"));

    @Test
    void stopTokens() {
        assertTrue(stop.isStopToken(4));
        assertFalse(stop.isStopToken(5));
    }

    @Test
    void cutsBeforeTheEarliestStopString() {
        assertEquals("Hello", stop.cut("Hello\n\nUser: hi"));
        assertEquals("Hi ", stop.cut("Hi User: x\n\n"));
        assertEquals("no stop here", stop.cut("no stop here"));
        assertEquals(-1, stop.stopStringIndex("a\nb"));
    }

    @Test
    void streamingHoldsBackWhatCouldBecomeAStopString() {
        assertEquals("Hello".length(), stop.safePrefixLength("Hello\n"), "'\\n' may start '\\n\\n'");
        assertEquals("Hello ".length(), stop.safePrefixLength("Hello Use"), "'Use' may start 'User:'");
        assertEquals("Hello world".length(), stop.safePrefixLength("Hello world"));
        assertEquals("Hello".length(), stop.safePrefixLength("Hello\n\nmore"));
    }
}
