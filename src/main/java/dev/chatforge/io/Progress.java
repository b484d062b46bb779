package dev.chatforge.io;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a long task: a redrawn bar with rate and ETA on a terminal, and a plain log line
 * every few seconds when output goes to a file or pipe (CI logs stay readable). Writes to
 * stderr so stdout stays clean for results.
 */
public final class Progress implements AutoCloseable {
    private static final long LOG_INTERVAL_NANOS = 5_000_000_000L;
    private static final long REDRAW_INTERVAL_NANOS = 200_000_000L;

    private final String label;
    private final long total;
    private final String unit;
    private final boolean terminal;
    private final PrintStream out;
    private final long startNanos = System.nanoTime();
    private long lastDrawNanos;
    private long done;
    private String detail = "";

    /**
     * @param label what is being done ("prepare", "train")
     * @param total the amount of work in {@code unit}, or a value <= 0 when unknown
     * @param unit  "B" for bytes (shown as MB, MB/s) or a word such as "steps", "tok"
     */
    public Progress(String label, long total, String unit) {
        this.label = label;
        this.total = total;
        this.unit = unit;
        this.terminal = System.console() != null;
        this.out = System.err;
    }

    /** Sets the amount done so far; redraws or logs at most a few times a second. */
    public void update(long doneSoFar) {
        this.done = doneSoFar;
        long now = System.nanoTime();
        if (now - lastDrawNanos >= (terminal ? REDRAW_INTERVAL_NANOS : LOG_INTERVAL_NANOS)) {
            lastDrawNanos = now;
            draw(false);
        }
    }

    /** Sets a short free-form detail shown after the rate, such as "loss 3.21". */
    public void detail(String text) {
        this.detail = text;
    }

    public void add(long amount) {
        update(done + amount);
    }

    @Override
    public void close() {
        draw(true);
    }

    private void draw(boolean last) {
        double seconds = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
        double rate = done / seconds;
        StringBuilder line = new StringBuilder();
        line.append(label).append(' ');
        if (total > 0) {
            double fraction = Math.min(1.0, (double) done / total);
            if (terminal) {
                int width = 24;
                int filled = (int) Math.round(fraction * width);
                line.append('[').append("#".repeat(filled)).append(" ".repeat(width - filled)).append("] ");
            }
            line.append(String.format(Locale.ROOT, "%5.1f%% ", 100 * fraction));
            line.append(amount(done)).append('/').append(amount(total));
        } else {
            line.append(amount(done));
        }
        line.append(" | ").append(rateText(rate));
        if (total > 0 && !last && rate > 0) {
            line.append(" | ETA ").append(duration((total - done) / rate));
        } else {
            line.append(" | ").append(duration(seconds));
        }
        if (!detail.isEmpty()) {
            line.append(" | ").append(detail);
        }
        if (terminal) {
            out.print("\r\033[2K" + line + (last ? "\n" : ""));
        } else {
            out.println(line);
        }
        out.flush();
    }

    private String amount(long value) {
        if ("B".equals(unit)) {
            return String.format(Locale.ROOT, "%.1f MB", value / 1e6);
        }
        return value + " " + unit;
    }

    private String rateText(double rate) {
        if ("B".equals(unit)) {
            return String.format(Locale.ROOT, "%.1f MB/s", rate / 1e6);
        }
        return String.format(Locale.ROOT, "%.1f %s/s", rate, unit);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
        }
        return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
