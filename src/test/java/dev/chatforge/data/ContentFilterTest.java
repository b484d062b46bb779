package dev.chatforge.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContentFilterTest {
    @TempDir
    Path tmp;

    private static final List<String> LIST = List.of("# words, phrases and expressions", "", "darn", "go away",
            "/\\bfree\\s+money\\b/", "/scam\\w*/");

    private static Record doc(String text) {
        return Record.document(null, "t:1", text);
    }

    private ContentFilter filter(String action) throws IOException {
        Path file = tmp.resolve("block.txt");
        Files.write(file, LIST);
        return new ContentFilter(CleaningConfig.defaults().withBlockList(file.toString(), action));
    }

    @Test
    void blockListDropsWholeWordsPhrasesAndExpressionsInAnyCase() throws IOException {
        ContentFilter drop = filter("drop");
        assertEquals(DropReason.BLOCKED, drop.check(doc("Oh Darn, it broke.")));
        assertEquals(DropReason.BLOCKED, drop.check(doc("Please GO\n  away now")));
        assertEquals(DropReason.BLOCKED, drop.check(doc("Get FREE money today")));
        assertEquals(DropReason.BLOCKED, drop.check(doc("Total scammers here")));
        assertEquals(DropReason.BLOCKED, drop.check(Record.conversation(null, "t:1",
                List.of(new Turn(Role.USER, "hi"), new Turn(Role.AGENT, "darn")))), "any turn of a conversation");
        assertNull(drop.check(doc("She was darning socks; go on, away we go; freedom money.")), "only whole words and phrases");
    }

    @Test
    void blockListMasksInsteadWhenAskedAndCounts() throws IOException {
        ContentFilter mask = filter("mask");
        assertNull(mask.check(doc("darn it")), "mask keeps the record");
        CleaningTally tally = new CleaningTally(false);
        assertEquals("Oh ***, *** - get *** now; darning", mask.mask("Oh Darn, go away - get free  money now; darning", tally));
        assertEquals(3, tally.masked());
    }

    @Test
    void badExpressionNamesFileAndLine() throws IOException {
        Path file = tmp.resolve("bad.txt");
        Files.write(file, List.of("ok", "/unclosed(group/"));
        StageInputException e = assertThrows(StageInputException.class,
                () -> new ContentFilter(CleaningConfig.defaults().withBlockList(file.toString(), "drop")));
        assertTrue(e.getMessage().startsWith(file + ":2: not a valid regular expression"), e.getMessage());
        StageInputException missing = assertThrows(StageInputException.class,
                () -> new ContentFilter(CleaningConfig.defaults().withBlockList(tmp.resolve("nope.txt").toString(), "drop")));
        assertTrue(missing.getMessage().contains("nope.txt: block list not found"), missing.getMessage());
    }

    @Test
    void fewLettersAndRepetitionAreDropped() {
        ContentFilter spam = new ContentFilter(CleaningConfig.defaults().withSpamFilters(0.4, 0.3, 0.2));
        assertNull(spam.check(doc("Order #21265 arrives on 2024-01-15; it costs $49.90.")));
        assertEquals(DropReason.FEW_LETTERS, spam.check(doc("| 12 | 34.5 | 67 |\n| 89 | 10.1 | 11 |")));
        assertEquals(DropReason.REPETITIVE, spam.check(doc("Sooooooooooo cool!!!!!!!!!!")));
        assertEquals(DropReason.REPETITIVE, spam.check(doc("click here\nclick here\nclick here\nreal line")));
        assertNull(spam.check(doc("line one\nline two\nline one\nline three\nline four")), "one repeat in five lines is 0.2");
    }
}
