package dev.chatforge.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class SplitEncoderTest {
    @Test
    void theNativeCheckSeesAtMostItsSampleEvenOfOneHugeDocument() {
        String huge = "word ".repeat(2_000_000); // 10 MB: once handed whole to the native tokenizer
        List<String> sample = SplitEncoder.start(List.of("first", huge, "never"), 65_536);
        assertEquals(2, sample.size());
        assertEquals("first", sample.get(0));
        assertEquals(65_536 - 5, sample.get(1).length());
        assertEquals(List.of("a", "b"), SplitEncoder.start(List.of("a", "b"), 10), "small texts are taken whole");
        assertEquals(List.of("x"), SplitEncoder.start(List.of("x\uD83D\uDE00"), 2), "never half a surrogate pair");
    }
}
