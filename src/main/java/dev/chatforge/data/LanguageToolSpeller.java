package dev.chatforge.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.languagetool.JLanguageTool;
import org.languagetool.Languages;
import org.languagetool.rules.Rule;
import org.languagetool.rules.RuleMatch;

/**
 * Spelling correction with LanguageTool's English spellers (Morfologik dictionaries, one per
 * variant: en-US, en-GB, ...): only the dictionary-based spelling rules run, every grammar and
 * style rule is off, and each flagged word becomes the speller's first suggestion. Kept as they
 * are: words with no suggestion, and words in capitals or with digits (coupon codes such as
 * FREESHIP, product codes, acronyms), which a dictionary does not know and must not split.
 * Built only with {@code -Pspelling}; see {@link SpellingCorrector}.
 *
 * <p>A {@link JLanguageTool} is not thread-safe, so each cleaning thread gets its own (a few
 * seconds to start, then shared by all the records that thread cleans).
 */
final class LanguageToolSpeller implements SpellingCorrector {
    private final ThreadLocal<JLanguageTool> tools;

    LanguageToolSpeller(String language) {
        Languages.getLanguageForShortCode(language);  // fails here, once, for an unknown variant
        this.tools = ThreadLocal.withInitial(() -> newTool(language));
    }

    private static JLanguageTool newTool(String language) {
        JLanguageTool tool = new JLanguageTool(Languages.getLanguageForShortCode(language));
        for (Rule rule : tool.getAllRules()) {
            if (!rule.isDictionaryBasedSpellingRule()) {
                tool.disableRule(rule.getId());
            }
        }
        return tool;
    }

    @Override
    public String correct(String text, CleaningTally tally) {
        List<RuleMatch> matches;
        try {
            matches = tools.get().check(text);
        } catch (IOException e) {
            throw new UncheckedIOException("LanguageTool failed: " + e.getMessage(), e);
        }
        if (matches.isEmpty()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int last = 0;
        for (RuleMatch match : matches) {  // in text order, not overlapping
            List<String> suggestions = match.getSuggestedReplacements();
            if (suggestions.isEmpty() || match.getFromPos() < last || isCode(text, match.getFromPos(), match.getToPos())) {
                continue;
            }
            out.append(text, last, match.getFromPos()).append(suggestions.get(0));
            last = match.getToPos();
            tally.corrected++;
        }
        return out.append(text, last, text.length()).toString();
    }

    /** All capitals (two or more) or holding a digit: a code or an acronym, not a misspelling. */
    private static boolean isCode(String text, int from, int to) {
        boolean lower = false;
        boolean digit = false;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            lower |= Character.isLowerCase(c);
            digit |= Character.isDigit(c);
        }
        return digit || (!lower && to - from >= 2);
    }
}
