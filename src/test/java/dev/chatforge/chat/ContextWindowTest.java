package dev.chatforge.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ContextWindowTest {
    @Test
    void aLongPromptKeepsItsNewestTokens() {
        ContextWindow window = new ContextWindow(4, new int[] {1, 2, 3, 4, 5, 6});
        assertArrayEquals(new int[] {3, 4, 5, 6}, window.tokens());
    }

    @Test
    void aFullWindowDropsTheOldestHalf() {
        ContextWindow window = new ContextWindow(8, new int[] {1, 2, 3, 4, 5, 6, 7});
        assertFalse(window.append(8));
        assertArrayEquals(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, window.tokens());
        assertTrue(window.append(9), "full: must report the shift so a cache is rebuilt");
        assertArrayEquals(new int[] {5, 6, 7, 8, 9}, window.tokens());
    }
}
