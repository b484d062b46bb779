package dev.chatforge.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.languagetool.JLanguageTool;
import org.languagetool.Languages;
import org.languagetool.rules.Rule;
import org.languagetool.rules.RuleMatch;

/**
 * Spelling correction with LanguageTool's American English speller (Hunspell/Morfologik
 * dictionaries): only the dictionary-based spelling rules run, every grammar and style rule is
 * off, and each flagged word becomes the speller's first suggestion (a word with no suggestion
 * is kept). Built only with {@code -Pspelling}; see {@link SpellingCorrector}.
 *
 * <p>A {@link JLanguageTool} is not thread-safe, so each cleaning thread gets its own (a few
 * seconds to start, then shared by all the records that thread cleans).
 */
final class LanguageToolSpeller implements SpellingCorrector {
    private final ThreadLocal<JLanguageTool> tools = ThreadLocal.withInitial(LanguageToolSpeller::newTool);

    private static JLanguageTool newTool() {
        JLanguageTool tool = new JLanguageTool(Languages.getLanguageForShortCode("en-US"));
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
            if (suggestions.isEmpty() || match.getFromPos() < last) {
                continue;
            }
            out.append(text, last, match.getFromPos()).append(suggestions.get(0));
            last = match.getToPos();
            tally.corrected++;
        }
        return out.append(text, last, text.length()).toString();
    }
}
