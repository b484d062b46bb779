package dev.chatforge.platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * How many intra-op threads PyTorch gets: one per core that other processes leave free when the
 * engine starts. PyTorch's OpenMP threads meet at a barrier after every op; with a thread per core
 * and one core taken by another process, every op waits for the thread that lost its core, and a
 * smoke training run fell to 7% of its idle speed here (1,453 against 21,243 tokens/s); with one
 * thread it kept 58% (12,010). Decided once, before the engine starts (the thread count is read
 * then); {@code -Dai.djl.pytorch.num_threads=N} (in CHATFORGE_JAVA_OPTS) overrides it.
 */
public final class CpuThreads {
    static final String PROPERTY = "ai.djl.pytorch.num_threads";
    private static final Path PROC_STAT = Path.of("/proc/stat");
    private static final Path PROC_SELF_STAT = Path.of("/proc/self/stat");
    private static final long SAMPLE_MILLIS = 250;
    private static boolean decided;

    private CpuThreads() {}

    /** Sets the thread count from the free cores, unless the user set it; a no-op after the first call. */
    public static synchronized void chooseBeforeTheEngineStarts() {
        if (decided) {
            return;
        }
        decided = true;
        int cores = Runtime.getRuntime().availableProcessors();
        if (System.getProperty(PROPERTY) != null || cores < 2 || !Files.isReadable(PROC_STAT)) {
            return;
        }
        try {
            long[] before = parseCpuLine(Files.readAllLines(PROC_STAT).get(0));
            long selfBefore = selfTicks();
            Thread.sleep(SAMPLE_MILLIS);
            List<String> stat = Files.readAllLines(PROC_STAT);
            long selfAfter = selfTicks();
            // The aggregate line first, then one "cpuN" line per online CPU.
            int cpus = (int) stat.stream().filter(l -> l.matches("cpu\\d+ .*")).count();
            double busyElsewhere = busyCoresElsewhere(before, parseCpuLine(stat.get(0)), selfAfter - selfBefore, cpus);
            int threads = threadsFor(cores, busyElsewhere);
            if (threads < cores) {
                System.setProperty(PROPERTY, Integer.toString(threads));
                System.err.printf(Locale.ROOT, "cpu: other processes keep %.1f of %d cores busy; PyTorch uses %d thread%s "
                        + "(-Dai.djl.pytorch.num_threads=N in CHATFORGE_JAVA_OPTS chooses)%n", busyElsewhere, cores,
                        threads, threads == 1 ? "" : "s");
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux-like enough to tell: PyTorch's default (a thread per core).
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One thread per core left free, at least one; half a free core counts as one. */
    static int threadsFor(int cores, double busyElsewhere) {
        return (int) Math.max(1, Math.min(cores, Math.round(cores - busyElsewhere)));
    }

    /**
     * Cores kept busy by other processes between two samples of /proc/stat's {@code cpu} line
     * ({@code ticks[0]} idle + iowait, {@code ticks[1]} total), less this process's own ticks
     * (the JVM compiling at start-up is not another process).
     */
    static double busyCoresElsewhere(long[] before, long[] after, long selfTicks, int cpus) {
        long total = after[1] - before[1];
        if (total <= 0) {
            return 0;
        }
        long busy = total - (after[0] - before[0]) - selfTicks;
        return Math.max(0, (double) busy / total * cpus);
    }

    /** /proc/stat's aggregate line as {idle + iowait, total}, in clock ticks. */
    static long[] parseCpuLine(String line) {
        String[] f = line.trim().split("\\s+");
        if (!f[0].equals("cpu")) {
            throw new IllegalArgumentException("not the aggregate cpu line: " + line);
        }
        long total = 0;
        for (int i = 1; i < Math.min(f.length, 9); i++) { // user nice system idle iowait irq softirq steal
            total += Long.parseLong(f[i]);
        }
        return new long[] {Long.parseLong(f[4]) + Long.parseLong(f[5]), total};
    }

    /** This process's user + system ticks (fields 14 and 15 of /proc/self/stat, after the command name). */
    private static long selfTicks() throws IOException {
        String stat = Files.readString(PROC_SELF_STAT);
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}
