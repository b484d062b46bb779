package dev.chatforge.report;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a run's step 0 sits on the shared x axes of a report. A fine-tune continues the model of
 * its parent: when the parent's run folder is in the same report, the fine-tune's curves start
 * at the parent checkpoint's step and tokens seen (step 800 of {@code smoke} for
 * {@code smoke-ft}), as one training history; otherwise at 0.
 *
 * @param steps  added to every step of the run
 * @param tokens added to every tokens-seen value of the run
 * @param parent the run it continues in this report, or null
 */
public record AxisOffset(long steps, double tokens, RunSummary parent) {
    public static final AxisOffset NONE = new AxisOffset(0, 0, null);

    /** The offset of each run in {@code runs} (same order). */
    public static List<AxisOffset> of(List<RunSummary> runs) {
        Map<Path, RunSummary> byDir = new HashMap<>();
        for (RunSummary run : runs) {
            byDir.putIfAbsent(key(run.dir()), run);
        }
        Map<RunSummary, AxisOffset> done = new IdentityHashMap<>();
        return runs.stream().map(run -> offset(run, byDir, done, 0)).toList();
    }

    private static AxisOffset offset(RunSummary run, Map<Path, RunSummary> byDir, Map<RunSummary, AxisOffset> done,
                                     int depth) {
        AxisOffset known = done.get(run);
        if (known != null) {
            return known;
        }
        Path parentDir = run.parentRunDir();
        RunSummary parent = parentDir == null ? null : byDir.get(key(parentDir));
        AxisOffset result = NONE;
        if (parent != null && parent != run && depth < byDir.size()) {
            ParentLink link = run.parents().get(0);
            AxisOffset base = offset(parent, byDir, done, depth + 1);
            long step = link.step() == null ? parent.last().map(MetricPoint::step).orElse(0L) : link.step();
            result = new AxisOffset(base.steps() + step, base.tokens() + tokensAt(parent, step, link), parent);
        }
        done.put(run, result);
        return result;
    }

    /** Tokens the parent had seen at {@code step}: from its metrics, else from its checkpoint. */
    private static double tokensAt(RunSummary parent, long step, ParentLink link) {
        for (MetricPoint p : parent.metrics()) {
            if (p.step() == step && p.tokensSeen() != null) {
                return p.tokensSeen();
            }
        }
        return link.tokensSeen() == null ? 0 : link.tokensSeen();
    }

    private static Path key(Path dir) {
        return dir.toAbsolutePath().normalize();
    }
}
