package dev.chatforge.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One run at a time per output (a training run's folder, or any stage's output through
 * {@link StageOutput}): {@code <output>.lock} beside it, held (an OS file lock) for the run's life
 * and naming its holder ({@code pid}, {@code host}, {@code started}). The OS releases the lock
 * when its process dies, however it dies, so a lock file left by a killed run is taken over (with a
 * message); one held by a live run is refused, naming its pid. The file sits beside the output,
 * not in it, because a {@code --force} run swaps the output itself, and stays there (empty)
 * between runs.
 */
public final class RunLock implements AutoCloseable {
    /** Run folders locked by this process, with the holder's description. */
    private static final Map<Path, String> HELD_HERE = new ConcurrentHashMap<>();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** {@code <folder>.lock} beside the folder the path leads to, so every name of a folder has one lock. */
    public static Path fileOf(Path runFolder) {
        Path real = RealPaths.of(runFolder);
        return real.resolveSibling(real.getFileName() + ".lock");
    }

    /** Locks {@code runFolder} for this process, or throws naming the run that holds it. */
    public static RunLock acquire(Path runFolder, String stage) {
        Path file = fileOf(runFolder);
        String me = "pid " + ProcessHandle.current().pid() + "\nhost " + hostName() + "\nstarted " + Instant.now() + "\n";
        // POSIX locks belong to the process and any close of the file in it drops them: runs of this
        // process are told apart here, without opening the file a second time.
        String heldHere = HELD_HERE.putIfAbsent(file, me);
        if (heldHere != null) {
            throw inUse(runFolder, file, heldHere);
        }
        try {
            Files.createDirectories(file.getParent());
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // this process holds it under a name HELD_HERE did not know
            }
            if (lock == null) {
                String holder = read(channel);
                channel.close();
                throw inUse(runFolder, file, holder);
            }
            String previous = read(channel);
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(me.getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(true);
            if (!previous.isBlank()) {
                System.err.println(stage + ": " + runFolder + ": taking over the lock left by " + describe(previous)
                        + ", which is no longer running");
            }
            return new RunLock(file, channel, lock);
        } catch (IOException e) {
            HELD_HERE.remove(file);
            throw new UncheckedIOException("cannot lock " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            HELD_HERE.remove(file);
            throw e;
        }
    }

    /**
     * Releases the lock. The file stays, emptied: deleting it would let a run that opened it just
     * before lock a file that no longer has a name while a third run creates a new one.
     */
    @Override
    public void close() {
        try {
            channel.truncate(0);
            lock.release();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release " + file + ": " + e.getMessage(), e);
        } finally {
            HELD_HERE.remove(file);
        }
    }

    private static StageInputException inUse(Path runFolder, Path file, String holder) {
        return new StageInputException(runFolder + ": in use by another run (" + describe(holder) + "; lock " + file
                + "); wait for it to end or stop it first");
    }

    private static String describe(String content) {
        String pid = field(content, "pid");
        return pid == null ? "pid unknown" : "pid " + pid + " on host " + field(content, "host") + ", started "
                + field(content, "started");
    }

    private static String field(String content, String name) {
        for (String line : content.split("\n")) {
            if (line.startsWith(name + " ")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        return null;
    }

    private static String read(FileChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(channel.size(), 4096));
        channel.read(buffer, 0);
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
