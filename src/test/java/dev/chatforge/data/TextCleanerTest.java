package dev.chatforge.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TextCleanerTest {
    private static String clean(CleaningConfig config, String s) {
        return new TextCleaner(config).clean(s);
    }

    private static CleaningConfig only(String step) {
        CleaningConfig n = CleaningConfig.none();
        return new CleaningConfig(step.equals("html"), step.equals("nfkc"), step.equals("control"), n.removeChars(),
                step.equals("whitespace"), step.equals("lower"));
    }

    @Test
    void nfkcFoldsCompatibilityForms() {
        assertEquals("file Full 12 x2 Café", clean(only("nfkc"), "ﬁle Ｆｕｌｌ ①② x² Cafe\u0301"));
        assertEquals("ﬁle", clean(CleaningConfig.none(), "ﬁle"), "off means off");
    }

    @Test
    void removesControlAndInvisibleCharactersButKeepsTabsNewlinesAndEmoji() {
        String dirty = "\uFEFFa\u0000b\u0007c\u200Bd\u00ADe\tf\r\ng\rh\u0085i 😀 \uD800j";
        assertEquals("abcde\tf\ng\nhi 😀 j", clean(only("control"), dirty));
    }

    @Test
    void removesConfiguredExtraCharacters() {
        CleaningConfig config = new CleaningConfig(false, false, false, "•¶#😀", false, false);
        assertEquals("a b c  ok😁", clean(config, "•a b¶ c # 😀ok😁"), "😁 shares its high surrogate with 😀 and stays whole");
    }

    @Test
    void stripsHtmlTagsAndDecodesEntities() {
        String html = "<p>Hello&nbsp;<b>world</b> &amp; friends &lt;3 &#233;&#x1F600; &bogus; a < b</p><SCRIPT>var İ = '<p>';</Script>"
                + "<!-- note --><div>Next<br/>line</div><style>p { color: red }</style>";
        assertEquals("\nHello\u00A0world & friends <3 é😀 &bogus; a < b\n\nNext\nline\n", clean(only("html"), html));
    }

    @Test
    void collapsesWhitespaceKeepingParagraphBreaks() {
        assertEquals("one two three\nfour\n\nfive", clean(only("whitespace"), "  one  two\t\tthree  \n four \n\n\n \n five \n"));
        assertEquals("a\u3000b", clean(CleaningConfig.none(), "a\u3000b"));
        assertEquals("a b\nc", clean(only("whitespace"), "a\u00A0\u3000b\u2028c"), "Unicode spaces and line separators too");
    }

    @Test
    void lowercasesWhenAsked() {
        assertEquals("hello ünïcode", clean(only("lower"), "HeLLo ÜNÏCODE"));
    }

    @Test
    void cleanTextComesBackAsTheSameInstance() {
        String s = "Already clean text.\n\nWith a paragraph.";
        assertSame(s, clean(CleaningConfig.defaults(), s));
    }

    @Test
    void defaultsApplyTheStepsInOrder() {
        CleaningConfig withHtml = new CleaningConfig(true, true, true, "", true, true);
        assertEquals("fine & dandy\n\nok", clean(withHtml, "<p>  ＦＩＮＥ &amp;\u200B Dandy</p>\n\n\n<p>OK</p>"));
    }

    @Test
    void cleansEveryTurnOfAConversationAndKeepsRoles() {
        Record r = Record.conversation(null, "f:1", List.of(new Turn(Role.USER, "  hi  there "), new Turn(Role.AGENT, "ﬁne\u200B")));
        Record cleaned = new TextCleaner(CleaningConfig.defaults()).clean(r);
        assertEquals(List.of(new Turn(Role.USER, "hi there"), new Turn(Role.AGENT, "fine")), cleaned.messages());
        assertEquals("f:1", cleaned.source());
    }

    @Test
    void theAsciiFastPathAgreesWithTheGeneralWhitespaceCheck() {
        Random random = new Random(7);
        String alphabet = "ab \n\t.";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder s = new StringBuilder();
            for (int j = random.nextInt(8); j > 0; j--) {
                s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String text = s.toString();
            boolean changes = !TextCleaner.collapseWhitespace(text).equals(text);
            assertEquals(changes, TextCleaner.needsCollapse(text), "needsCollapse of '" + text.replace("\n", "\\n") + "'");
            assertEquals(changes ? TextCleaner.ASCII_NEEDS_COLLAPSE : TextCleaner.ASCII_CLEAN, TextCleaner.asciiShape(text),
                    "asciiShape of '" + text.replace("\n", "\\n") + "'");
        }
        assertEquals(TextCleaner.OTHER, TextCleaner.asciiShape("café"));
    }
}
