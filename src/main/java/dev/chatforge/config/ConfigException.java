package dev.chatforge.config;

/** A config that cannot be used: names the file (or --set) and the key. Exit status 2. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
