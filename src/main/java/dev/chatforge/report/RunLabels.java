package dev.chatforge.report;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Names for the runs of a report: the folder's name ({@code smoke}, {@code smoke-ft}) when it
 * is unique among them, else the path as given, so two runs never share a legend entry.
 */
public final class RunLabels {
    private RunLabels() {}

    public static List<String> of(List<RunSummary> runs) {
        Map<String, Integer> count = new HashMap<>();
        for (RunSummary run : runs) {
            count.merge(run.name(), 1, Integer::sum);
        }
        List<String> labels = new ArrayList<>();
        Map<String, Integer> used = new HashMap<>();
        for (RunSummary run : runs) {
            String label = count.get(run.name()) == 1 ? run.name() : run.dir().toString();
            int seen = used.merge(label, 1, Integer::sum);
            labels.add(seen == 1 ? label : label + " (" + seen + ")");
        }
        return labels;
    }
}
