package dev.chatforge.data;

import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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
 * Words and phrases are looked up in hash maps as the text's words go by, so a list of
 * thousands costs about as much as a list of one; regular expressions run as one combined
 * pattern over the whole text, which costs far more (see docs/prepare.md).
 */
final class BlockList {
    /** Words, and phrases by their first word; null when the file has neither. */
    private final WordTable table;
    private final int shortestWord;
    private final int longestWord;
    /** Expressions (and phrases with non-word characters) as one alternation, or null when the file has none. */
    private final Pattern pattern;

    private BlockList(Set<String> words, Map<String, List<String[]>> phrases, Pattern pattern) {
        this.table = words.isEmpty() && phrases.isEmpty() ? null : new WordTable(words, phrases);
        this.pattern = pattern;
        int shortest = Integer.MAX_VALUE;
        int longest = 0;
        Set<String> firstWords = new HashSet<>(words);
        firstWords.addAll(phrases.keySet());
        for (String w : firstWords) {
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
        Map<String, List<String[]>> phrases = new HashMap<>();
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
                words.add(lowerChars(entry));
            } else if (Arrays.stream(entry.split("\\s+")).allMatch(BlockList::isOneWord)) {
                String[] parts = lowerChars(entry).split("\\s+");
                phrases.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(Arrays.copyOfRange(parts, 1, parts.length));
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
        return new BlockList(words, phrases, pattern);
    }

    /** Lower case char by char, exactly as the text's words are hashed. */
    private static String lowerChars(String entry) {
        char[] chars = entry.toCharArray();
        for (int i = 0; i < chars.length; i++) {
            chars[i] = lower(chars[i]);
        }
        return new String(chars);
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
        return table == null && pattern == null;
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

    /** The [start, end) of the first listed word or phrase at or after {@code from}, or null. */
    private int[] findWord(String s, int from) {
        if (table == null) {
            return null;
        }
        int n = s.length();
        int i = from;
        while (i < n) {
            while (i < n && !isWordChar(s.charAt(i))) {
                i++;
            }
            int start = i;
            int hash = 0;
            while (i < n && isWordChar(s.charAt(i))) {
                hash = 31 * hash + lower(s.charAt(i));  // hashed as it goes by: no substring per word
                i++;
            }
            int length = i - start;
            if (length < shortestWord || length > longestWord) {
                continue;
            }
            int entry = table.find(s, start, length, hash);
            if (entry < 0) {
                continue;
            }
            if (table.isWord[entry]) {
                return new int[] {start, i};
            }
            for (String[] rest : table.phraseRests[entry]) {
                int phraseEnd = phraseEnd(s, i, rest);
                if (phraseEnd > 0) {
                    return new int[] {start, phraseEnd};
                }
            }
        }
        return null;
    }

    private static boolean isWordChar(char c) {
        return c < 128 ? (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') : Character.isLetterOrDigit(c);
    }

    private static char lower(char c) {
        return c < 128 ? (c >= 'A' && c <= 'Z' ? (char) (c | 0x20) : c) : Character.toLowerCase(c);
    }

    /** Open addressing over the lower-cased entries (words and the first words of phrases). */
    private static final class WordTable {
        final String[] keys;
        final boolean[] isWord;
        final List<String[]>[] phraseRests;
        private final int mask;

        @SuppressWarnings("unchecked")
        WordTable(Set<String> words, Map<String, List<String[]>> phrases) {
            int size = Integer.highestOneBit(Math.max(4, (words.size() + phrases.size()) * 4) - 1) << 1;
            keys = new String[size];
            isWord = new boolean[size];
            phraseRests = new List[size];
            mask = size - 1;
            for (String w : words) {
                isWord[slot(w)] = true;
            }
            phrases.forEach((first, rests) -> phraseRests[slot(first)] = rests);
        }

        private int slot(String key) {
            int h = 0;
            for (int i = 0; i < key.length(); i++) {
                h = 31 * h + lower(key.charAt(i));
            }
            int at = mix(h) & mask;
            while (keys[at] != null && !keys[at].equals(key)) {
                at = (at + 1) & mask;
            }
            keys[at] = key;
            return at;
        }

        /** The slot of the word s[start, start+length) (any case), or -1. */
        int find(String s, int start, int length, int hash) {
            for (int at = mix(hash) & mask; keys[at] != null; at = (at + 1) & mask) {
                String key = keys[at];
                if (key.length() == length && s.regionMatches(true, start, key, 0, length)) {
                    return at;
                }
            }
            return -1;
        }

        private static int mix(int h) {
            return h ^ (h >>> 16) ^ (h >>> 7);
        }
    }

    /** Where the phrase's remaining words end when they follow {@code at} (each after whitespace), or -1. */
    private static int phraseEnd(String s, int at, String[] rest) {
        int n = s.length();
        int i = at;
        for (String word : rest) {
            int space = i;
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (i == space || !s.regionMatches(true, i, word, 0, word.length())) {
                return -1;
            }
            i += word.length();
            if (i < n && Character.isLetterOrDigit(s.charAt(i))) {
                return -1;
            }
        }
        return i;
    }
}
