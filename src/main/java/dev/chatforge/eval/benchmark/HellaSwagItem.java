package dev.chatforge.eval.benchmark;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One HellaSwag item as {@code hellaswag_val.jsonl} holds it: {@code ctx}, four {@code endings}
 * and the index of the right one in {@code label} (other fields are ignored).
 */
record HellaSwagItem(String context, List<String> endings, int label) {
    static final String LAYOUT = "hellaswag_val.jsonl's layout: {\"ctx\": ..., \"endings\": [4 strings], \"label\": 0-3}";

    static List<HellaSwagItem> read(Path file) {
        List<HellaSwagItem> items = new ArrayList<>();
        for (BenchmarkJsonl.Line line : BenchmarkJsonl.read(file, LAYOUT)) {
            String ctx = line.text("ctx");
            JsonNode endings = line.node().get("endings");
            if (endings == null || !endings.isArray() || endings.size() != 4) {
                throw line.wrong("endings", "an array of 4 strings");
            }
            List<String> texts = new ArrayList<>();
            for (JsonNode e : endings) {
                if (!e.isTextual() || e.asText().isEmpty()) {
                    throw line.wrong("endings", "an array of 4 non-empty strings");
                }
                texts.add(e.asText());
            }
            JsonNode label = line.node().get("label");
            // hellaswag_val.jsonl has an integer; some copies store it as a string ("2")
            int value = label == null ? -1 : label.isIntegralNumber() ? label.asInt()
                    : label.isTextual() && label.asText().matches("[0-3]") ? Integer.parseInt(label.asText()) : -1;
            if (value < 0 || value > 3) {
                throw line.wrong("label", "the index of the right ending, 0 to 3" + (label == null ? " (missing)" : ", got " + label));
            }
            items.add(new HellaSwagItem(ctx, List.copyOf(texts), value));
        }
        return items;
    }
}
