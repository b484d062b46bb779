package dev.chatforge.config;

/**
 * A typed, immutable config section for one stage: a Java record whose components are the
 * keys (camelCase in Java, snake_case in YAML), with a static {@code defaults()} instance that
 * documents every default in one place. Validation of ranges and required values is the
 * record's own; unknown keys and wrong types are caught by the loader.
 */
public interface StageConfig {
    /** Reports every invalid value to {@code checks}; the loader throws if any was reported. */
    default void validate(Checks checks) {}
}
