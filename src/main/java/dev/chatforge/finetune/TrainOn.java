package dev.chatforge.finetune;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Which tokens of a conversation the fine-tuning loss is computed on. */
public enum TrainOn {
    /** Every agent reply with its end-of-turn token (the default: learn to answer and to stop). */
    AGENT,
    /** Every token, as in pre-training (persona and user turns too). */
    ALL,
    /** Only the last agent reply of each conversation, the earlier turns being its context. */
    LAST_AGENT;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static TrainOn parse(String name) {
        for (TrainOn t : values()) {
            if (t.wireName().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown train_on '" + name + "' (expected agent, all or last_agent)");
    }
}
