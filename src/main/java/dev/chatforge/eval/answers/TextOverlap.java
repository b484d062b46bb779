package dev.chatforge.eval.answers;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How close a generated answer is to the reference, with the scores summarisation and QA papers
 * report: ROUGE-L F1 as Google's {@code rouge-score} computes it by default, bag-of-words token
 * F1 (SQuAD's formula) and exact match. All three read the same tokens: the text lowercased,
 * every run of characters other than a-z and 0-9 a separator, no stemming (rouge-score's default
 * tokenizer; SQuAD's normalisation differs only in also dropping articles).
 */
public final class TextOverlap {
    private TextOverlap() {}

    /** The scores of one answer against its reference, each in [0, 1]. */
    public record Scores(double rougeL, double tokenF1, double exactMatch) {}

    public static Scores score(String reference, String generated) {
        List<String> ref = tokens(reference);
        List<String> gen = tokens(generated);
        return new Scores(rougeLF1(ref, gen), tokenF1(ref, gen), ref.equals(gen) ? 1 : 0);
    }

    /** rouge-score's default tokenisation: lowercase, non-[a-z0-9] runs separate, empty tokens dropped. */
    public static List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        String lower = text.toLowerCase(Locale.ROOT);
        StringBuilder word = new StringBuilder();
        for (int i = 0; i < lower.length(); i++) {
            char c = lower.charAt(i);
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                word.append(c);
            } else if (word.length() > 0) {
                out.add(word.toString());
                word.setLength(0);
            }
        }
        if (word.length() > 0) {
            out.add(word.toString());
        }
        return out;
    }

    /** F1 of LCS precision (over the generated tokens) and recall (over the reference's); 0 when either is empty. */
    static double rougeLF1(List<String> reference, List<String> generated) {
        if (reference.isEmpty() || generated.isEmpty()) {
            return 0;
        }
        int lcs = longestCommonSubsequence(reference, generated);
        double precision = (double) lcs / generated.size();
        double recall = (double) lcs / reference.size();
        return precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
    }

    static int longestCommonSubsequence(List<String> a, List<String> b) {
        int[] previous = new int[b.size() + 1];
        int[] current = new int[b.size() + 1];
        for (int i = 1; i <= a.size(); i++) {
            for (int j = 1; j <= b.size(); j++) {
                current[j] = a.get(i - 1).equals(b.get(j - 1)) ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.size()];
    }

    /** SQuAD's token F1: overlap of the two bags of tokens; 1 when both are empty, 0 when one is. */
    static double tokenF1(List<String> reference, List<String> generated) {
        if (reference.isEmpty() || generated.isEmpty()) {
            return reference.isEmpty() && generated.isEmpty() ? 1 : 0;
        }
        Map<String, Integer> counts = new HashMap<>();
        for (String t : reference) {
            counts.merge(t, 1, Integer::sum);
        }
        int common = 0;
        for (String t : generated) {
            Integer left = counts.get(t);
            if (left != null && left > 0) {
                common++;
                counts.put(t, left - 1);
            }
        }
        if (common == 0) {
            return 0;
        }
        double precision = (double) common / generated.size();
        double recall = (double) common / reference.size();
        return 2 * precision * recall / (precision + recall);
    }
}
