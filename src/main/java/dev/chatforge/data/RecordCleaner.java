package dev.chatforge.data;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Everything prepare does to one record before de-duplication, on a cleaning thread: the
 * character steps ({@link TextCleaner}), the content filters ({@link ContentFilter}: drop, or
 * mask block-list matches), redaction ({@link Redactor}) and spelling correction
 * ({@link SpellingCorrector}, after redaction so it never sees the personal data). Steps that
 * are off cost nothing.
 */
final class RecordCleaner {
    private final TextCleaner text;
    private final ContentFilter filter;
    private final Redactor redactor;
    private final SpellingCorrector speller;
    private final CleaningConfig config;
    private final boolean keepOriginals;

    /** @param keepOriginals keep the originals of what is redacted, for the dry run's sample */
    RecordCleaner(CleaningConfig config, boolean keepOriginals) {
        this.text = new TextCleaner(config);
        ContentFilter contentFilter = new ContentFilter(config);
        this.filter = contentFilter.isEnabled() ? contentFilter : null;
        Redactor r = new Redactor(config.redactTypes(), config.placeholderMap());
        this.redactor = r.isEnabled() ? r : null;
        this.speller = CleaningConfig.SPELLING_OFF.equals(config.spelling()) ? null : SpellingCorrector.load(config.spellingLanguage());
        this.config = config;
        this.keepOriginals = keepOriginals;
    }

    ReadAhead.Cleaned clean(Record raw) {
        // Lone surrogates are not text, whatever the cleaning keeps: U+FFFD.
        Record r = LoneSurrogates.replace(text.clean(raw));
        CleaningTally tally = null;
        if (filter != null) {
            DropReason reason = filter.check(r);
            if (reason != null) {
                return new ReadAhead.Cleaned(r, 0, reason, null);
            }
        }
        boolean masks = filter != null && filter.masks();
        if (masks || redactor != null || speller != null) {
            CleaningTally t = new CleaningTally(keepOriginals);
            r = map(r, (role, s) -> {
                if (masks) {
                    s = filter.mask(s, t);
                }
                if (redactor != null) {
                    s = redactor.redact(s, t);
                }
                return speller != null && config.spellingApplies(role) ? speller.correct(s, t) : s;
            });
            tally = t.isEmpty() ? null : t;
        }
        return new ReadAhead.Cleaned(r, ContentHash.of(r), null, tally);
    }

    /** The record with {@code step} applied to each text, given the turn's role (null for a document); {@code r} itself when no text changed. */
    private static Record map(Record r, BiFunction<Role, String, String> step) {
        if (!r.isConversation()) {
            String text = step.apply(null, r.text());
            return text == r.text() ? r : Record.document(r.id(), r.source(), text);
        }
        List<Turn> turns = new ArrayList<>(r.messages().size());
        boolean changed = false;
        for (Turn t : r.messages()) {
            String content = step.apply(t.role(), t.content());
            changed |= content != t.content();  // the steps return their input when they change nothing
            turns.add(content == t.content() ? t : new Turn(t.role(), content));
        }
        return changed ? new Record(r.id(), r.source(), null, turns) : r;
    }
}
