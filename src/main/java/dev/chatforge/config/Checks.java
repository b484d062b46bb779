package dev.chatforge.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Collects validation failures of one config section, each under its full key path
 * ("train.learning_rate"), so the user sees every problem at once.
 */
public final class Checks {
    private final String section;
    private final List<String> errors = new ArrayList<>();

    public Checks(String section) {
        this.section = section;
    }

    public void fail(String key, String problem) {
        errors.add("key '" + section + "." + key + "': " + problem);
    }

    public void check(boolean ok, String key, String problem) {
        if (!ok) {
            fail(key, problem);
        }
    }

    public void positive(String key, long value) {
        check(value > 0, key, "must be > 0, got " + value);
    }

    public void positive(String key, double value) {
        check(value > 0 && Double.isFinite(value), key, "must be > 0, got " + value);
    }

    public void nonNegative(String key, double value) {
        check(value >= 0 && Double.isFinite(value), key, "must be >= 0, got " + value);
    }

    public void range(String key, double value, double min, double max) {
        check(value >= min && value <= max, key, "must be between " + min + " and " + max + ", got " + value);
    }

    public void required(String key, Object value) {
        boolean empty = value == null
                || (value instanceof String s && s.isBlank())
                || (value instanceof Collection<?> c && c.isEmpty());
        check(!empty, key, "is required");
    }

    public void oneOf(String key, String value, Collection<String> allowed) {
        check(allowed.contains(value), key, "must be one of " + allowed + ", got '" + value + "'");
    }

    public List<String> errors() {
        return errors;
    }
}
