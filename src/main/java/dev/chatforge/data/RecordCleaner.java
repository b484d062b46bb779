package dev.chatforge.data;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Everything prepare does to one record before de-duplication, on a cleaning thread: the
 * character steps ({@link TextCleaner}), the content filters ({@link ContentFilter}: drop, or
 * mask block-list matches) and redaction ({@link Redactor}). Steps that are off cost nothing.
 */
final class RecordCleaner {
    private final TextCleaner text;
    private final ContentFilter filter;
    private final Redactor redactor;
    private final boolean keepOriginals;

    /** @param keepOriginals keep the originals of what is redacted, for the dry run's sample */
    RecordCleaner(CleaningConfig config, boolean keepOriginals) {
        this.text = new TextCleaner(config);
        ContentFilter contentFilter = new ContentFilter(config);
        this.filter = contentFilter.isEnabled() ? contentFilter : null;
        Redactor r = new Redactor(config.redactTypes(), config.placeholderMap());
        this.redactor = r.isEnabled() ? r : null;
        this.keepOriginals = keepOriginals;
    }

    ReadAhead.Cleaned clean(Record raw) {
        Record r = text.clean(raw);
        CleaningTally tally = null;
        if (filter != null) {
            DropReason reason = filter.check(r);
            if (reason != null) {
                return new ReadAhead.Cleaned(r, 0, reason, null);
            }
        }
        boolean masks = filter != null && filter.masks();
        if (masks || redactor != null) {
            CleaningTally t = new CleaningTally(keepOriginals);
            r = map(r, s -> {
                if (masks) {
                    s = filter.mask(s, t);
                }
                return redactor == null ? s : redactor.redact(s, t);
            });
            tally = t.isEmpty() ? null : t;
        }
        return new ReadAhead.Cleaned(r, ContentHash.of(r), null, tally);
    }

    private static Record map(Record r, UnaryOperator<String> step) {
        if (!r.isConversation()) {
            return Record.document(r.id(), r.source(), step.apply(r.text()));
        }
        List<Turn> turns = new ArrayList<>(r.messages().size());
        for (Turn t : r.messages()) {
            turns.add(new Turn(t.role(), step.apply(t.content())));
        }
        return new Record(r.id(), r.source(), null, turns);
    }
}
