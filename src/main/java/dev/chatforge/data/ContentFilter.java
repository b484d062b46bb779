package dev.chatforge.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The content filters of prepare ({@code prepare.cleaning}): a block list that drops a record
 * ({@link DropReason#BLOCKED}) or masks what it matches, and two spam checks: too few letters
 * ({@link DropReason#FEW_LETTERS}: tables of numbers, symbol soup, base64) and too much
 * repetition ({@link DropReason#REPETITIVE}: the same line over and over, "!!!!!!!!", "aaaaaaa").
 * A conversation is judged on all its turns together.
 */
final class ContentFilter {
    /** A run of this many identical characters counts as repetition ("!!!!", "----"). */
    static final int CHAR_RUN = 4;

    private final BlockList blockList;
    private final boolean maskBlocked;
    private final String blockMask;
    private final double minLetterShare;
    private final double maxRepeatedLineShare;
    private final double maxCharRunShare;

    ContentFilter(CleaningConfig config) {
        this.blockList = config.blockList() == null ? null : BlockList.load(Path.of(config.blockList()));
        this.maskBlocked = CleaningConfig.BLOCK_MASK.equals(config.blockAction());
        this.blockMask = config.blockMask();
        this.minLetterShare = config.minLetterShare();
        this.maxRepeatedLineShare = config.maxRepeatedLineShare();
        this.maxCharRunShare = config.maxCharRunShare();
    }

    /** Whether any filter is on; when none is, prepare skips this step entirely. */
    boolean isEnabled() {
        return (blockList != null && !blockList.isEmpty()) || minLetterShare > 0 || maxRepeatedLineShare < 1
                || maxCharRunShare < 1;
    }

    boolean masks() {
        return maskBlocked && blockList != null && !blockList.isEmpty();
    }

    /** Why the record must be dropped, or null to keep it. */
    DropReason check(Record r) {
        if (blockList != null && !maskBlocked) {
            for (String text : texts(r)) {
                if (blockList.matches(text)) {
                    return DropReason.BLOCKED;
                }
            }
        }
        if (minLetterShare > 0 || maxCharRunShare < 1) {
            long[] counts = new long[3];  // visible, letters, in runs
            if (r.isConversation()) {
                for (Turn t : r.messages()) {
                    countCharacters(t.content(), counts);
                }
            } else {
                countCharacters(r.text(), counts);
            }
            long visible = counts[0];
            if (visible > 0 && counts[1] < minLetterShare * visible) {
                return DropReason.FEW_LETTERS;
            }
            if (visible > 0 && counts[2] > maxCharRunShare * visible) {
                return DropReason.REPETITIVE;
            }
        }
        if (maxRepeatedLineShare < 1 && repeatedLineShare(r) > maxRepeatedLineShare) {
            return DropReason.REPETITIVE;
        }
        return null;
    }

    /** Adds the visible (non-whitespace) characters, the letters and the characters in runs of {@link #CHAR_RUN}+ of {@code text}. */
    private static void countCharacters(String text, long[] counts) {
        long visible = 0;
        long letters = 0;
        long inRuns = 0;
        int run = 0;
        char previous = 0;
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if (c < 128 ? c <= ' ' : Character.isWhitespace(c)) {
                run = 0;
                previous = 0;
                continue;
            }
            visible++;
            if (c < 128 ? (c | 0x20) >= 'a' && (c | 0x20) <= 'z' : Character.isLetter(c)) {
                letters++;
            }
            if (c == previous) {
                if (++run >= CHAR_RUN) {
                    inRuns += run == CHAR_RUN ? CHAR_RUN : 1;
                }
            } else {
                run = 1;
                previous = c;
            }
        }
        counts[0] += visible;
        counts[1] += letters;
        counts[2] += inRuns;
    }

    /** {@code s} with block-list matches masked (when block_action is mask). */
    String mask(String s, CleaningTally tally) {
        return masks() ? blockList.mask(s, blockMask, tally) : s;
    }

    /** Share of the record's non-blank lines that repeat an earlier line of it (whitespace-trimmed). */
    static double repeatedLineShare(Record r) {
        List<String> lines = new ArrayList<>();
        for (String text : texts(r)) {
            int from = 0;
            for (int nl = text.indexOf('\n'); ; nl = text.indexOf('\n', from)) {
                String line = text.substring(from, nl < 0 ? text.length() : nl).strip();
                if (!line.isEmpty()) {
                    lines.add(line);
                }
                if (nl < 0) {
                    break;
                }
                from = nl + 1;
            }
        }
        int repeated = 0;
        if (lines.size() <= 16) {
            // A few lines (a dialogue's turns): compare lengths first, text only when they agree; no hashing.
            for (int i = 1; i < lines.size(); i++) {
                String line = lines.get(i);
                for (int j = 0; j < i; j++) {
                    if (lines.get(j).length() == line.length() && lines.get(j).equals(line)) {
                        repeated++;
                        break;
                    }
                }
            }
        } else {
            Set<String> seen = new HashSet<>();
            for (String line : lines) {
                repeated += seen.add(line) ? 0 : 1;
            }
        }
        return lines.isEmpty() ? 0 : (double) repeated / lines.size();
    }

    private static Iterable<String> texts(Record r) {
        if (!r.isConversation()) {
            return List.of(r.text());
        }
        return () -> r.messages().stream().map(Turn::content).iterator();
    }
}
