package dev.chatforge.data;

import java.util.Locale;

/**
 * The kinds of personal data prepare can redact ({@code prepare.cleaning.redact}), each with the
 * typed placeholder that replaces it by default. Placeholders are plain text ({@code <email>}),
 * never one of the tokenizer's control tokens ({@code <|user|>}, {@code [INST]}, ...).
 */
public enum PiiType {
    EMAIL, PHONE, CARD, IBAN, IP, URL;

    /** The name used in configs, manifests and messages ("email"). */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String defaultPlaceholder() {
        return "<" + wireName() + ">";
    }

    /** The type of a config name, or null for an unknown one (the caller reports it with its key). */
    public static PiiType parse(String name) {
        for (PiiType type : values()) {
            if (type.wireName().equals(name)) {
                return type;
            }
        }
        return null;
    }
}
