package dev.chatforge.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SplitAndDedupTest {
    private static Record doc(String text) {
        return Record.document(null, "somewhere:1", text);
    }

    @Test
    void contentHashDependsOnContentOnlyNotOnSource() {
        long a = ContentHash.of(Record.document(null, "a.txt:1", "same text"));
        long b = ContentHash.of(Record.document("x", "b.txt:9", "same text"));
        assertEquals(a, b);
        assertNotEquals(a, ContentHash.of(doc("same text.")));
        assertEquals("5ad0e0b0a4f0ab0f".length(), ContentHash.hex(a).length());
    }

    @Test
    void contentHashSeparatesRolesTurnBoundariesAndKinds() {
        Record userAgent = Record.conversation(null, "s", List.of(new Turn(Role.USER, "ab"), new Turn(Role.AGENT, "c")));
        Record boundaryMoved = Record.conversation(null, "s", List.of(new Turn(Role.USER, "a"), new Turn(Role.AGENT, "bc")));
        Record rolesSwapped = Record.conversation(null, "s", List.of(new Turn(Role.AGENT, "ab"), new Turn(Role.USER, "c")));
        Set<Long> hashes = Set.of(ContentHash.of(userAgent), ContentHash.of(boundaryMoved), ContentHash.of(rolesSwapped),
                ContentHash.of(doc("abc")));
        assertEquals(4, hashes.size());
    }

    @Test
    void contentHashIsStableAcrossRuns() {
        // Ids and splits must not change between versions or machines; the value was computed
        // independently (a Python transcription of FNV-1a over UTF-16 units + fmix64).
        assertEquals("dfbddfbbcff824cb", ContentHash.hex(ContentHash.of(doc("Hello, world."))));
    }

    @Test
    void splitIsDeterministicAndNearTheRequestedFraction() {
        Split split = new Split(0.1, 1234);
        Split same = new Split(0.1, 1234);
        Split otherSeed = new Split(0.1, 99);
        int val = 0;
        int differs = 0;
        for (int i = 0; i < 20_000; i++) {
            long h = ContentHash.of(doc("record " + i));
            boolean v = split.isValidation(h);
            assertEquals(v, same.isValidation(h));
            val += v ? 1 : 0;
            differs += v != otherSeed.isValidation(h) ? 1 : 0;
        }
        assertEquals(2000, val, 200);
        assertTrue(differs > 1000, "another seed gives another split");
        assertFalse(new Split(0.0, 1).isValidation(ContentHash.of(doc("x"))));
    }

    @Test
    void seenHashesFindsDuplicatesAcrossGrowth() {
        SeenHashes seen = new SeenHashes();
        Set<Long> reference = new HashSet<>();
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        for (int i = 0; i < 300_000; i++) {
            long h = random.nextInt(4) == 0 ? i : random.nextLong(200_000);  // many repeats, and the value 0
            assertEquals(reference.add(h), seen.add(h), "hash " + h);
        }
        assertEquals(reference.size(), seen.size());
    }
}
