package dev.chatforge.report;

/**
 * One checkpoint a fine-tune descends from, nearest first in {@link RunSummary#parents()}.
 *
 * @param checkpoint the checkpoint folder, as the child's run recorded it
 * @param stage      the stage that wrote it ("train", "finetune"), or null when unknown
 * @param step       its training step, or null when unknown
 * @param tokensSeen tokens it had been trained on, or null when unknown
 * @param found      whether the folder still exists (from where the report is made)
 */
public record ParentLink(String checkpoint, String stage, Long step, Long tokensSeen, boolean found) {}
