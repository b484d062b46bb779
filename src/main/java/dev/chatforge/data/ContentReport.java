package dev.chatforge.data;

import java.util.Locale;

/**
 * What prepare prints about its content steps: the redaction and masking counts after every
 * run, and for {@code prepare --dry-run} the full report with a masked sample of what would be
 * redacted (nothing is written).
 */
final class ContentReport {
    private ContentReport() {}

    /** One line after a run when redaction or masking is on: "prepare: redacted email 3, phone 2 ...". */
    static void printContentCounts(CleaningConfig cleaning, CleaningCounts counts) {
        if (!cleaning.redact().isEmpty()) {
            String summary = counts.redactedSummary();
            System.err.printf(Locale.ROOT, "prepare: redacted %s in the kept records (redact: %s)%n",
                    summary.isEmpty() ? "nothing" : summary + " (" + counts.redactedTotal() + " in all)", cleaning.redact());
        }
        if (cleaning.blockList() != null && CleaningConfig.BLOCK_MASK.equals(cleaning.blockAction())) {
            System.err.printf(Locale.ROOT, "prepare: masked %d block-list matches (%s)%n", counts.masked, cleaning.blockList());
        }
        if (!CleaningConfig.SPELLING_OFF.equals(cleaning.spelling())) {
            System.err.printf(Locale.ROOT, "prepare: corrected %d misspelt words (spelling: %s)%n", counts.corrected, cleaning.spelling());
        }
    }

    /** The dry run's report: what would be kept and dropped, the counts, the masked sample. */
    static void printDryRun(PrepareConfig config, PrepareStats stats) {
        System.err.printf(Locale.ROOT, "prepare --dry-run: %d records -> would keep %d (train %d, val %d); would drop %d%s; "
                        + "%.1f MB in %.2f s. Nothing written (output would be %s)%n",
                stats.seen(), stats.kept(), stats.train.records, stats.val.records, stats.droppedTotal(),
                stats.droppedTotal() == 0 ? "" : " (" + stats.droppedSummary() + ")", stats.bytesRead / 1e6, stats.seconds,
                config.output());
        printContentCounts(config.cleaning(), stats.content);
        if (config.cleaning().redact().isEmpty()) {
            System.err.println("prepare --dry-run: redaction is off; turn it on with prepare.cleaning.redact: [email, phone, card, iban, ip, url]");
            return;
        }
        if (stats.content.samples.isEmpty()) {
            return;
        }
        System.err.println("prepare --dry-run: a sample of what would be redacted (masked here):");
        for (CleaningCounts.Sample sample : stats.content.samples) {
            System.err.printf(Locale.ROOT, "  %-6s %-32s -> %-8s %s%n", sample.type().wireName(), sample.masked(),
                    config.cleaning().placeholders().getOrDefault(sample.type().wireName(), sample.type().defaultPlaceholder()),
                    sample.source());
        }
    }
}
