package dev.chatforge.data;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Who speaks a turn. "assistant" is accepted as a synonym of "agent" on input. */
public enum Role {
    SYSTEM, USER, AGENT;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a role name; returns null for an unknown one so readers can report it with its line. */
    public static Role parse(String name) {
        if (name == null) {
            return null;
        }
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "system" -> SYSTEM;
            case "user", "human" -> USER;
            case "agent", "assistant" -> AGENT;
            default -> null;
        };
    }

    @JsonCreator
    static Role fromJson(String name) {
        Role role = parse(name);
        if (role == null) {
            throw new IllegalArgumentException("unknown role '" + name + "' (expected system, user or agent)");
        }
        return role;
    }
}
