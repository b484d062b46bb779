package dev.chatforge.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The totals of the content steps over the records prepare keeps (what reaches train.jsonl and
 * val.jsonl): personal data redacted by type, block-list matches masked, words corrected; and, for the dry run,
 * the first few originals found, masked for display.
 */
final class CleaningCounts {
    /** One line of the dry run's sample: what kind, masked, and where it was. */
    record Sample(PiiType type, String masked, String source) {}

    final long[] redacted = new long[PiiType.values().length];
    long masked;
    long corrected;
    final List<Sample> samples = new ArrayList<>();
    private final int[] samplesByType = new int[PiiType.values().length];
    private int sampleLimit;

    /** Keep up to {@code limit} samples (a few of each kind first), for the dry run. */
    void keepSamples(int limit) {
        this.sampleLimit = limit;
    }

    void add(CleaningTally tally, String source) {
        for (PiiType type : PiiType.values()) {
            redacted[type.ordinal()] += tally.redacted(type);
        }
        masked += tally.masked();
        corrected += tally.corrected();
        for (CleaningTally.Found found : tally.found()) {
            // at most a quarter of the sample per kind, so a corpus full of e-mails still shows its phones
            int perType = Math.max(1, sampleLimit / 4);
            if (samples.size() < sampleLimit && samplesByType[found.type().ordinal()] < perType) {
                samplesByType[found.type().ordinal()]++;
                samples.add(new Sample(found.type(), MaskedText.of(found.type(), found.text()), source));
            }
        }
    }

    long redactedTotal() {
        long sum = 0;
        for (long n : redacted) {
            sum += n;
        }
        return sum;
    }

    void addTo(ObjectNode stats) {
        ObjectNode byType = stats.putObject("redacted_by_type");
        for (PiiType type : PiiType.values()) {
            byType.put(type.wireName(), redacted[type.ordinal()]);
        }
        stats.put("block_list_masked", masked);
        stats.put("spelling_corrected", corrected);
    }

    /** "email 3, phone 2" — the non-zero kinds; empty when none. */
    String redactedSummary() {
        List<String> parts = new ArrayList<>();
        for (PiiType type : PiiType.values()) {
            if (redacted[type.ordinal()] > 0) {
                parts.add(String.format(Locale.ROOT, "%s %d", type.wireName(), redacted[type.ordinal()]));
            }
        }
        return String.join(", ", parts);
    }
}
