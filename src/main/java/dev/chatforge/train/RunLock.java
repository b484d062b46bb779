package dev.chatforge.train;

import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * One run at a time in a run folder: {@code <folder>.lock} beside it, held (an OS file lock) for
 * the run's life and naming its holder ({@code pid}, {@code host}, {@code started}). The OS
 * releases the lock when its process dies, however it dies, so a lock file left by a killed run
 * is taken over (with a message); one held by a live run is refused, naming its pid. The file
 * sits beside the folder, not in it, because a {@code --force} run swaps the folder itself.
 */
public final class RunLock implements AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    public static Path fileOf(Path runFolder) {
        Path absolute = runFolder.toAbsolutePath().normalize();
        return absolute.resolveSibling(absolute.getFileName() + ".lock");
    }

    /** Locks {@code runFolder} for this process, or throws naming the run that holds it. */
    public static RunLock acquire(Path runFolder, String stage) {
        Path file = fileOf(runFolder);
        String me = "pid " + ProcessHandle.current().pid() + "\nhost " + hostName() + "\nstarted " + Instant.now() + "\n";
        try {
            Files.createDirectories(file.getParent());
            // A few tries: the run that held the lock may delete the file between our open and our lock.
            for (int attempt = 0; attempt < 5; attempt++) {
                FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
                FileLock lock;
                try {
                    lock = channel.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null; // held by this JVM
                }
                if (lock == null) {
                    String holder = describe(read(channel));
                    channel.close();
                    throw new StageInputException(runFolder + ": in use by another run (" + holder + "; lock " + file
                            + "); wait for it to end or stop it first");
                }
                String previous = read(channel);
                channel.truncate(0);
                channel.write(ByteBuffer.wrap(me.getBytes(StandardCharsets.UTF_8)), 0);
                channel.force(true);
                if (!me.equals(readQuietly(file))) {
                    lock.release(); // we locked a file that its holder deleted on its way out: lock the new one
                    channel.close();
                    continue;
                }
                if (!previous.isBlank()) {
                    System.err.println(stage + ": " + runFolder + ": taking over the lock left by " + describe(previous)
                            + ", which is no longer running");
                }
                return new RunLock(file, channel, lock);
            }
            throw new StageInputException(file + ": could not lock it (other runs keep replacing it); try again");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + file + ": " + e.getMessage(), e);
        }
    }

    /** Releases the lock; the file goes first, so the next run finds no holder to name. */
    @Override
    public void close() {
        try {
            Files.deleteIfExists(file);
            lock.release();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release " + file + ": " + e.getMessage(), e);
        }
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

    private static String readQuietly(Path file) throws IOException {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            return "";
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
