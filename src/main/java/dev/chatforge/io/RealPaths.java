package dev.chatforge.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where a path really leads: two names of one folder (a link, `..`) must be one folder to a lock or a check. */
public final class RealPaths {
    private RealPaths() {}

    /** The absolute path with links resolved as far as it exists (the rest, not yet created, appended). */
    public static Path of(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        Path existing = absolute;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return absolute;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(absolute));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resolve " + path + ": " + IoErrors.reason(e), e);
        }
    }
}
