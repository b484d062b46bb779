package dev.chatforge.io;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A second process for the lock tests: locks the output given as the argument, says "locked" on
 * stdout, and holds the lock until its stdin closes (or it is killed).
 */
public final class RunLockHolder {
    private RunLockHolder() {}

    public static void main(String[] args) throws Exception {
        try (RunLock lock = RunLock.acquire(java.nio.file.Path.of(args[0]), "holder")) {
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold until stdin closes
            }
        }
    }

    /** Starts a holder of {@code output}'s lock and returns once it holds it. */
    public static Process start(Path output) throws IOException {
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), RunLockHolder.class.getName(), output.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String said = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (!"locked".equals(said)) {
            holder.destroyForcibly();
            throw new IllegalStateException("the lock holder said " + said);
        }
        return holder;
    }
}
