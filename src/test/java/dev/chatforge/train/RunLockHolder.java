package dev.chatforge.train;

/**
 * A second process for the lock tests: locks the run folder given as the argument, says
 * "locked" on stdout, and holds the lock until its stdin closes (or it is killed).
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
}
