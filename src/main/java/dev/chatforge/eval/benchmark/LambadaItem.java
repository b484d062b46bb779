package dev.chatforge.eval.benchmark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One LAMBADA passage split as lm-evaluation-harness's {@code lambada_openai} splits it: the
 * context is the text before its last space, the target is {@code " " + last word}.
 */
record LambadaItem(String context, String target) {
    static final String LAYOUT = "lambada_openai's JSONL: {\"text\": \"passage ... last_word\"}";

    static List<LambadaItem> read(Path file) {
        List<LambadaItem> items = new ArrayList<>();
        for (BenchmarkJsonl.Line line : BenchmarkJsonl.read(file, LAYOUT)) {
            String text = line.text("text");
            int space = text.lastIndexOf(' ');
            if (space <= 0 || space == text.length() - 1) {
                throw line.wrong("text", "a passage whose last word follows a space, got " + abbreviate(text));
            }
            items.add(new LambadaItem(text.substring(0, space), text.substring(space)));
        }
        return items;
    }

    private static String abbreviate(String text) {
        return '"' + (text.length() > 60 ? text.substring(0, 57) + "..." : text) + '"';
    }
}
