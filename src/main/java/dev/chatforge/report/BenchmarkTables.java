package dev.chatforge.report;

import static dev.chatforge.report.ReportPage.esc;
import static dev.chatforge.report.ReportPage.num;
import static dev.chatforge.report.ReportPage.swatch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The report's cross-run tables of what {@code eval} measured beyond perplexity: the benchmark
 * figures of every run, each beside the published GPT-2 figure it compares with, and two runs'
 * generated answers to the same dialogue turns side by side (e.g. a model before and after its
 * fine-tune).
 */
final class BenchmarkTables {
    /** Turns shown side by side; the rest stay in the answers files. */
    static final int MAX_TURNS = 40;

    private BenchmarkTables() {}

    static void benchmarks(StringBuilder h, List<RunCurves> curves) {
        List<String> metrics = new ArrayList<>();
        boolean any = false;
        for (RunCurves c : curves) {
            for (EvalReport e : c.run().evals()) {
                if (e.benchmark() != null) {
                    any = true;
                    for (String m : EvalReport.BENCHMARK_METRICS) {
                        if (e.figures().containsKey(m) && !metrics.contains(m)) {
                            metrics.add(m);
                        }
                    }
                }
            }
        }
        if (!any) {
            return;
        }
        metrics.sort(java.util.Comparator.comparingInt(EvalReport.BENCHMARK_METRICS::indexOf));
        h.append("<h2>Benchmarks</h2>\n<p>Each figure with the published GPT-2 figure it compares with below it, labelled "
                + "with its source and model size. WikiText-2 and PTB: perplexity per token of the model's tokenizer; "
                + "word perplexity per word of the original text (what the GPT-2 paper reports).</p>\n");
        h.append("<table>\n<tr><th>run</th><th>report</th><th>benchmark</th><th>split</th><th>items</th>");
        for (String m : metrics) {
            h.append("<th>").append(esc(m)).append("</th>");
        }
        h.append("</tr>\n");
        for (int i = 0; i < curves.size(); i++) {
            for (EvalReport e : curves.get(i).run().evals()) {
                if (e.benchmark() == null) {
                    continue;
                }
                h.append("<tr><td>").append(swatch(i)).append(esc(curves.get(i).label())).append("</td><td><code>")
                        .append(esc(e.file())).append("</code></td><td>").append(esc(e.benchmark())).append("</td><td>")
                        .append(esc(e.split())).append("</td>").append(num(Format.count(e.items())));
                for (String m : metrics) {
                    Double v = e.figures().get(m);
                    EvalReport.Published p = e.publishedFor(m);
                    h.append(num(v == null ? "" : Format.loss(v) + (p == null ? ""
                            : "<br><small>published " + p.value() + "<br>" + esc(p.source()) + "</small>")));
                }
                h.append("</tr>\n");
            }
        }
        h.append("</table>\n");
    }

    /**
     * The first two runs with generated answers: each turn both answered (the same conversation
     * and turn), the question, the reference and each run's reply with its ROUGE-L F1.
     */
    static void answersSideBySide(StringBuilder h, List<RunCurves> curves) {
        List<Integer> runs = new ArrayList<>();
        List<EvalReport> reports = new ArrayList<>();
        for (int i = 0; i < curves.size() && runs.size() < 2; i++) {
            for (EvalReport e : curves.get(i).run().evals()) {
                if (e.answers() != null) {
                    runs.add(i);
                    reports.add(e);
                    break;
                }
            }
        }
        if (runs.size() < 2) {
            return;
        }
        Map<String, AnswersFile.Row> first = new LinkedHashMap<>();
        for (AnswersFile.Row r : AnswersFile.read(reports.get(0).answers().file())) {
            first.put(r.key(), r);
        }
        List<AnswersFile.Row[]> pairs = new ArrayList<>();
        for (AnswersFile.Row r : AnswersFile.read(reports.get(1).answers().file())) {
            AnswersFile.Row a = first.get(r.key());
            if (a != null) {
                pairs.add(new AnswersFile.Row[] {a, r});
            }
        }
        String a = curves.get(runs.get(0)).label();
        String b = curves.get(runs.get(1)).label();
        h.append("<h2>Answers side by side</h2>\n<p>").append(esc(a)).append(" (<code>")
                .append(esc(reports.get(0).file())).append("</code>, mean ROUGE-L F1 ")
                .append(Format.loss(reports.get(0).answers().rougeL())).append(") and ").append(esc(b)).append(" (<code>")
                .append(esc(reports.get(1).file())).append("</code>, mean ROUGE-L F1 ")
                .append(Format.loss(reports.get(1).answers().rougeL())).append(") answering the same ")
                .append(pairs.size()).append(" turns (greedy, each given the reference conversation before it)");
        if (pairs.size() > MAX_TURNS) {
            h.append("; the first ").append(MAX_TURNS).append(" shown");
        }
        h.append(".</p>\n");
        if (pairs.isEmpty()) {
            h.append("<p>The two answer files share no turn (were they made from different dialogues?).</p>\n");
            return;
        }
        h.append("<table>\n<tr><th>user</th><th>reference</th><th>").append(swatch(runs.get(0))).append(esc(a))
                .append("</th><th>ROUGE-L</th><th>").append(swatch(runs.get(1))).append(esc(b)).append("</th><th>ROUGE-L</th></tr>\n");
        for (AnswersFile.Row[] p : pairs.subList(0, Math.min(MAX_TURNS, pairs.size()))) {
            h.append("<tr><td>").append(esc(p[0].question())).append("</td><td>").append(esc(p[0].reference()))
                    .append("</td><td>").append(esc(p[0].generated())).append("</td>").append(num(Format.loss(p[0].rougeL())))
                    .append("<td>").append(esc(p[1].generated())).append("</td>").append(num(Format.loss(p[1].rougeL())))
                    .append("</tr>\n");
        }
        h.append("</table>\n");
    }
}
