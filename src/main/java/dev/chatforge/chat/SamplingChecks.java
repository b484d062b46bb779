package dev.chatforge.chat;

import dev.chatforge.config.Checks;
import java.util.List;

/** Validation shared by the generate and chat sections, so both report the same messages. */
final class SamplingChecks {
    private SamplingChecks() {}

    static void validate(Checks checks, int maxNewTokens, double temperature, int topK, double topP,
                         List<String> stop, String device, String precision) {
        checks.positive("max_new_tokens", maxNewTokens);
        checks.nonNegative("temperature", temperature);
        checks.check(topK >= 0, "top_k", "must be >= 0 (0 = off), got " + topK);
        checks.check(topP > 0 && topP <= 1, "top_p", "must be in (0, 1] (1 = off), got " + topP);
        checks.check(stop != null && stop.stream().noneMatch(s -> s == null || s.isEmpty()), "stop",
                "must be a list of non-empty strings");
        checks.oneOf("device", device, List.of("auto", "cpu", "gpu"));
        checks.oneOf("precision", precision, dev.chatforge.model.Precision.CHOICES);
    }
}
