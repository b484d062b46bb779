package dev.chatforge.eval.benchmark;

import java.util.regex.Pattern;

/**
 * Undoes WikiText's tokenisation ({@code " @-@ "}, spaces before punctuation, {@code "= = ="}
 * headings) before a byte-level BPE model scores it, as lm-evaluation-harness's
 * {@code wikitext_detokenizer} does, rule for rule and in the same order: GPT-2's paper scored
 * WikiText through such invertible de-tokenizers.
 */
final class WikitextDetokenizer {
    private static final Pattern QUOTED_NUMBER = Pattern.compile("/' [0-9]/");
    private static final Pattern ROUND = Pattern.compile("\\(\\s*([^)]*?)\\s*\\)");
    private static final Pattern SQUARE = Pattern.compile("\\[\\s*([^\\]]*?)\\s*\\]");
    private static final Pattern CURLY = Pattern.compile("\\{\\s*([^}]*?)\\s*\\}");
    private static final Pattern DOUBLE_QUOTES = Pattern.compile("\"\\s*([^\"]*?)\\s*\"");
    private static final Pattern SINGLE_QUOTES = Pattern.compile("'\\s*([^']*?)\\s*'");

    private WikitextDetokenizer() {}

    static String detokenize(String s) {
        // contractions
        s = s.replace("s '", "s'");
        s = QUOTED_NUMBER.matcher(s).replaceAll("/'[0-9]/"); // the harness's (literal) rule, kept as is
        // number separators
        s = s.replace(" @-@ ", "-").replace(" @,@ ", ",").replace(" @.@ ", ".");
        // punctuation
        s = s.replace(" : ", ": ").replace(" ; ", "; ").replace(" . ", ". ").replace(" ! ", "! ")
                .replace(" ? ", "? ").replace(" , ", ", ");
        // brackets and quotes
        s = ROUND.matcher(s).replaceAll("($1)");
        s = SQUARE.matcher(s).replaceAll("[$1]");
        s = CURLY.matcher(s).replaceAll("{$1}");
        s = DOUBLE_QUOTES.matcher(s).replaceAll("\"$1\"");
        s = SINGLE_QUOTES.matcher(s).replaceAll("'$1'");
        // miscellaneous
        s = s.replace("= = = =", "====").replace("= = =", "===").replace("= =", "==");
        s = s.replace(" \u00b0 ", "\u00b0").replace(" \n", "\n").replace("\n ", "\n");
        s = s.replace(" N ", " 1 ").replace(" 's", "'s");
        return s;
    }
}
