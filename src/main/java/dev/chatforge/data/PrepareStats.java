package dev.chatforge.data;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The counts prepare reports, kept so that they add up: every record (or piece of bad input) a
 * reader found is either kept — in train or val — or dropped for exactly one reason:
 * {@code seen = kept + dropped}, {@code kept = train + val}, {@code dropped = sum of reasons}.
 */
final class PrepareStats {
    /** Counts for one output split. */
    static final class SplitCounts {
        long records;
        long documents;
        long conversations;
        long chars;

        void add(Record r, long length) {
            records++;
            if (r.isConversation()) {
                conversations++;
            } else {
                documents++;
            }
            chars += length;
        }

        ObjectNode toJson() {
            ObjectNode node = JsonNodeFactory.instance.objectNode();
            node.put("records", records);
            node.put("documents", documents);
            node.put("conversations", conversations);
            node.put("chars", chars);
            return node;
        }
    }

    final SplitCounts train = new SplitCounts();
    final SplitCounts val = new SplitCounts();
    final EnumMap<DropReason, Long> dropped = new EnumMap<>(DropReason.class);
    final List<String> firstProblems = new ArrayList<>();
    /** Redaction and block-list masking in the kept records. */
    final CleaningCounts content = new CleaningCounts();
    /** Records seen and kept from one input file. */
    record InputCounts(String path, long seen, long kept) {}

    final List<InputCounts> byInput = new ArrayList<>();
    private long seenBefore;
    private long keptBefore;
    long bytesRead;
    double seconds;

    PrepareStats() {
        for (DropReason r : DropReason.values()) {
            dropped.put(r, 0L);
        }
    }

    void drop(DropReason reason) {
        dropped.merge(reason, 1L, Long::sum);
    }

    /** Closes the counts of one input file: what was seen and kept since the previous one. */
    void fileDone(String path) {
        byInput.add(new InputCounts(path, seen() - seenBefore, kept() - keptBefore));
        seenBefore = seen();
        keptBefore = kept();
    }

    long kept() {
        return train.records + val.records;
    }

    long droppedTotal() {
        long sum = 0;
        for (long n : dropped.values()) {
            sum += n;
        }
        return sum;
    }

    long badInput() {
        long sum = 0;
        for (Map.Entry<DropReason, Long> e : dropped.entrySet()) {
            if (e.getKey().isBadInput()) {
                sum += e.getValue();
            }
        }
        return sum;
    }

    long seen() {
        return kept() + droppedTotal();
    }

    ObjectNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("records_seen", seen());
        node.put("records_kept", kept());
        node.put("records_dropped", droppedTotal());
        ObjectNode reasons = node.putObject("dropped_by_reason");
        dropped.forEach((reason, n) -> reasons.put(reason.wireName(), n));
        ObjectNode splits = node.putObject("splits");
        splits.set("train", train.toJson());
        splits.set("val", val.toJson());
        var inputs = node.putArray("by_input");
        for (InputCounts counts : byInput) {
            ObjectNode n = inputs.addObject();
            n.put("path", counts.path());
            n.put("records_seen", counts.seen());
            n.put("records_kept", counts.kept());
        }
        content.addTo(node);
        node.put("bytes_read", bytesRead);
        node.put("seconds", Math.round(seconds * 1000) / 1000.0);
        firstProblems.forEach(node.putArray("first_problems")::add);
        return node;
    }

    /** "duplicate 70, empty 4" — the non-zero reasons. */
    String droppedSummary() {
        List<String> parts = new ArrayList<>();
        dropped.forEach((reason, n) -> {
            if (n > 0) {
                parts.add(reason.wireName() + " " + n);
            }
        });
        return String.join(", ", parts);
    }
}
