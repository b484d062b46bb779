package dev.chatforge.data;

import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Words, phrases and regular expressions that must not reach the training data
 * ({@code prepare.cleaning.block_list}), read from a UTF-8 file, one entry per line:
 * <pre>
 * # a comment; blank lines are ignored
 * darn                 a word: matched whole and in any case ("Darn", not "darning")
 * go away              a phrase: its words in order, any whitespace between
 * /\bfree\s+money\b/   a regular expression (Java syntax), in any case
 * </pre>
 * Single words are looked up in a hash set as the text's words go by, so a list of thousands
 * costs as much as a list of one; phrases and expressions run as one combined pattern.
 */
final class BlockList {
    private final Set<String> words;
    private final int shortestWord;
    private final int longestWord;
    /** Phrases and expressions as one alternation, or null when the file has none. */
    private final Pattern pattern;

    private BlockList(Set<String> words, Pattern pattern) {
        this.words = words;
        this.pattern = pattern;
        int shortest = Integer.MAX_VALUE;
        int longest = 0;
        for (String w : words) {
            shortest = Math.min(shortest, w.length());
            longest = Math.max(longest, w.length());
        }
        this.shortestWord = shortest;
        this.longestWord = longest;
    }

    /** Reads a block list; a missing file, bad UTF-8 or a bad expression is an error naming the file (and line). */
    static BlockList load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            throw new StageInputException(file + ": block list not found (prepare.cleaning.block_list)");
        } catch (CharacterCodingException e) {
            throw new StageInputException(file + ": block list is not UTF-8");
        } catch (IOException e) {
            throw new StageInputException(file + ": cannot read the block list: " + e.getMessage());
        }
        return parse(lines, file.toString());
    }

    static BlockList parse(List<String> lines, String origin) {
        Set<String> words = new HashSet<>();
        List<String> alternatives = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String entry = lines.get(i).strip();
            if (entry.isEmpty() || entry.startsWith("#")) {
                continue;
            }
            if (entry.length() >= 2 && entry.startsWith("/") && entry.endsWith("/")) {
                String regex = entry.substring(1, entry.length() - 1);
                try {
                    Pattern.compile(regex);
                } catch (PatternSyntaxException e) {
                    throw new StageInputException(origin + ":" + (i + 1) + ": not a valid regular expression: "
                            + e.getDescription() + " in /" + regex + "/");
                }
                alternatives.add("(?:" + regex + ")");
            } else if (isOneWord(entry)) {
                words.add(entry.toLowerCase(Locale.ROOT));
            } else {
                StringBuilder phrase = new StringBuilder("(?<![\\p{L}\\p{N}])");
                String[] parts = entry.split("\\s+");
                for (int p = 0; p < parts.length; p++) {
                    phrase.append(p == 0 ? "" : "\\s+").append(Pattern.quote(parts[p]));
                }
                alternatives.add(phrase.append("(?![\\p{L}\\p{N}])").toString());
            }
        }
        Pattern pattern = alternatives.isEmpty() ? null
                : Pattern.compile(String.join("|", alternatives), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
        return new BlockList(words, pattern);
    }

    private static boolean isOneWord(String entry) {
        for (int i = 0; i < entry.length(); i++) {
            if (!Character.isLetterOrDigit(entry.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    boolean isEmpty() {
        return words.isEmpty() && pattern == null;
    }

    /** Whether {@code s} holds an entry. */
    boolean matches(String s) {
        return findWord(s, 0) != null || (pattern != null && pattern.matcher(s).find());
    }

    /** {@code s} with every entry replaced by {@code mask}; the number of replacements goes to {@code tally}. */
    String mask(String s, String mask, CleaningTally tally) {
        if (pattern != null) {
            Matcher m = pattern.matcher(s);
            if (m.find()) {
                StringBuilder out = new StringBuilder(s.length());
                int last = 0;
                do {
                    if (m.end() == m.start()) {
                        continue;  // an expression that matches the empty string masks nothing
                    }
                    out.append(s, last, m.start()).append(mask);
                    last = m.end();
                    tally.masked++;
                } while (m.find());
                s = out.append(s, last, s.length()).toString();
            }
        }
        int[] word = findWord(s, 0);
        if (word == null) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        int last = 0;
        for (; word != null; word = findWord(s, word[1])) {
            out.append(s, last, word[0]).append(mask);
            last = word[1];
            tally.masked++;
        }
        return out.append(s, last, s.length()).toString();
    }

    /** The [start, end) of the first listed word at or after {@code from}, or null. */
    private int[] findWord(String s, int from) {
        if (words.isEmpty()) {
            return null;
        }
        int n = s.length();
        int i = from;
        while (i < n) {
            while (i < n && !Character.isLetterOrDigit(s.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < n && Character.isLetterOrDigit(s.charAt(i))) {
                i++;
            }
            int length = i - start;
            if (length >= shortestWord && length <= longestWord
                    && words.contains(s.substring(start, i).toLowerCase(Locale.ROOT))) {
                return new int[] {start, i};
            }
        }
        return null;
    }
}
