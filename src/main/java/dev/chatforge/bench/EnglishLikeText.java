package dev.chatforge.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Deterministic English-like text for benchmarks, so the figures are reproducible anywhere
 * without shipping a corpus: the 200 most common English words (with contractions) for the head
 * of a Zipf distribution and 60,000 pronounceable made-up words for its long tail; sentences of
 * 4–24 words with commas, quotes, numbers and the usual end marks; paragraphs split by blank
 * lines; documents of about 4 KB. Real English of this size has a similar number of distinct
 * words (~10^5), which is what sets a BPE trainer's cost.
 */
public final class EnglishLikeText {
    private EnglishLikeText() {}

    private static final String[] COMMON = ("the of and to a in is it you that he was for on are with as I his they be "
            + "at one have this from or had by not word but what some we can out other were all there when up use "
            + "your how said an each she which do their time if will way about many then them write would like so "
            + "these her long make thing see him two has look more day could go come did number sound no most people "
            + "my over know water than call first who may down side been now find any new work part take get place "
            + "made live where after back little only round man year came show every good me give our under name "
            + "very through just form sentence great think say help low line differ turn cause much mean before move "
            + "right boy old too same tell does set three want air well also play small end put home read hand port "
            + "large spell add even land here must big high such follow act why ask men change went light kind off "
            + "need house picture try us again animal point mother world near build self earth father it's don't "
            + "I'm can't you're we'll they've she'd isn't").split(" ");
    private static final String[] ONSETS = {"", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s",
            "t", "v", "w", "st", "tr", "pl", "br", "ch", "sh", "th", "gr", "cl", "sp", "qu", "str"};
    private static final String[] VOWELS = {"a", "e", "i", "o", "u", "ea", "ou", "ai", "io", "ee", "y"};
    private static final String[] CODAS = {"", "n", "r", "s", "t", "l", "nd", "ng", "st", "ck", "rt", "m", "x", "ss"};
    private static final String[] SUFFIXES = {"", "", "", "s", "ed", "ing", "ly", "er", "tion", "ment", "ness", "able"};

    /** About {@code bytes} bytes of text as documents of about 4 KB, the same for the same seed. */
    public static List<String> documents(long bytes, long seed) {
        Random random = new Random(seed);
        String[] words = vocabulary(random);
        double[] cumulative = zipf(words.length);
        List<String> docs = new ArrayList<>();
        StringBuilder doc = new StringBuilder();
        long total = 0;
        while (total < bytes) {
            doc.setLength(0);
            while (doc.length() < 4000) {
                int sentences = 3 + random.nextInt(6);
                for (int s = 0; s < sentences; s++) {
                    sentence(doc, words, cumulative, random);
                    doc.append(s + 1 < sentences ? " " : "");
                }
                doc.append("\n\n");
            }
            docs.add(doc.toString());
            total += doc.length();
        }
        return docs;
    }

    private static void sentence(StringBuilder out, String[] words, double[] cumulative, Random random) {
        int n = 4 + random.nextInt(21);
        boolean quoted = random.nextInt(12) == 0;
        if (quoted) {
            out.append('"');
        }
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                out.append(random.nextInt(14) == 0 ? ", " : " ");
            }
            String w;
            if (random.nextInt(50) == 0) {
                w = random.nextInt(3) == 0 ? (1900 + random.nextInt(130)) + "" : random.nextInt(1000) + "";
            } else {
                w = words[pick(cumulative, random.nextDouble())];
            }
            if (i == 0) {
                w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
            } else if (random.nextInt(40) == 0) {
                w = Character.toUpperCase(w.charAt(0)) + w.substring(1); // a name
            }
            out.append(w);
        }
        int end = random.nextInt(20);
        out.append(end == 0 ? '?' : end == 1 ? '!' : end == 2 ? ';' : '.');
        if (quoted) {
            out.append('"');
        }
    }

    private static String[] vocabulary(Random random) {
        int tail = 60_000;
        String[] words = new String[COMMON.length + tail];
        System.arraycopy(COMMON, 0, words, 0, COMMON.length);
        for (int i = 0; i < tail; i++) {
            StringBuilder w = new StringBuilder();
            int syllables = 1 + random.nextInt(3);
            for (int s = 0; s < syllables; s++) {
                w.append(ONSETS[random.nextInt(ONSETS.length)]).append(VOWELS[random.nextInt(VOWELS.length)])
                        .append(CODAS[random.nextInt(CODAS.length)]);
            }
            w.append(SUFFIXES[random.nextInt(SUFFIXES.length)]);
            words[COMMON.length + i] = w.toString();
        }
        return words;
    }

    private static double[] zipf(int n) {
        double[] c = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1.0 / (i + 2.7);
            c[i] = sum;
        }
        for (int i = 0; i < n; i++) {
            c[i] /= sum;
        }
        return c;
    }

    private static int pick(double[] cumulative, double u) {
        int lo = 0;
        int hi = cumulative.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] < u) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
