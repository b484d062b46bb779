package dev.chatforge.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.io.Version;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The report's HTML page: self-contained (the figure inline as a data: URI, the style in the page,
 * nothing fetched), so it can be mailed, attached to an issue or opened offline. Per run: what it
 * reached, its best validation loss and step, the eval reports beside it, the checkpoints a
 * fine-tune descends from, the model and the effective config.
 */
public final class ReportPage {
    private static final String STYLE = """
            body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 2em auto;
                   max-width: 1240px; padding: 0 1em; color: #222; line-height: 1.45; }
            h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
            h3 { margin-bottom: 0.3em; }
            .meta { color: #666; margin-top: 0; }
            .swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px; margin-right: 0.4em;
                      vertical-align: -0.05em; }
            table { border-collapse: collapse; margin: 0.4em 0 1em; font-size: 0.93em; }
            th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
            th { background: #f5f5f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
            code { font-size: 0.92em; background: #f5f5f5; padding: 0 0.2em; border-radius: 3px; }
            td code { white-space: nowrap; }
            figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
            figcaption { color: #555; font-size: 0.92em; }
            details { margin: 0.4em 0 1em; } summary { cursor: pointer; font-weight: 600; }
            .columns { display: flex; gap: 2em; flex-wrap: wrap; }
            """;

    private ReportPage() {}

    /**
     * @param curves      the runs with their labels and offsets, in the order given
     * @param png         the overview figure
     * @param pngFileName its file beside the page, mentioned for people who want the image alone
     */
    public static String html(List<RunCurves> curves, byte[] png, String pngFileName) {
        StringBuilder h = new StringBuilder();
        String names = String.join(", ", curves.stream().map(RunCurves::label).toList());
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>chatforge report: ").append(esc(names)).append("</title>\n<style>\n").append(STYLE)
                .append("</style>\n</head>\n<body>\n");
        h.append("<h1>chatforge report: ").append(esc(names)).append("</h1>\n");
        h.append("<p class=\"meta\">Made ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS))
                .append(" by chatforge ").append(esc(Version.CHATFORGE)).append(" from ");
        for (int i = 0; i < curves.size(); i++) {
            h.append(i == 0 ? "" : ", ").append("<code>").append(esc(curves.get(i).run().dir().toString())).append("</code>");
        }
        h.append(".</p>\n");
        h.append("<figure><img src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png))
                .append("\" alt=\"Loss, learning rate, gradient norm and throughput curves of ").append(esc(names))
                .append("\" width=\"1200\">\n<figcaption>").append(caption(curves)).append(" The figure alone: <code>")
                .append(esc(pngFileName)).append("</code> beside this page.</figcaption></figure>\n");
        summaryTable(h, curves);
        BenchmarkTables.benchmarks(h, curves);
        BenchmarkTables.answersSideBySide(h, curves);
        for (int i = 0; i < curves.size(); i++) {
            runSection(h, curves.get(i), i);
        }
        h.append("</body>\n</html>\n");
        return h.toString();
    }

    private static String caption(List<RunCurves> curves) {
        StringBuilder c = new StringBuilder("Thin lines: training loss (mean since the previous log line); "
                + "thick lines with dots: validation loss at each evaluation. Losses in nats per trained token.");
        for (RunCurves run : curves) {
            if (run.offset().parent() != null) {
                c.append(" ").append(esc(run.label())).append(" fine-tunes a checkpoint of ")
                        .append(esc(run.offset().parent().name())).append(": its steps and tokens are drawn after the "
                                + "parent's (its step 0 is step ").append(Format.count(run.offset().steps()))
                        .append("), from the dashed line on; its losses are on its own fine-tuning data.");
            }
        }
        return c.toString();
    }

    private static void summaryTable(StringBuilder h, List<RunCurves> curves) {
        h.append("<h2>Runs</h2>\n<table>\n<tr><th>run</th><th>stage</th><th>steps</th><th>tokens seen</th>"
                + "<th>training time</th><th>last train loss</th><th>best val loss</th><th>best step</th>"
                + "<th>status</th></tr>\n");
        for (int i = 0; i < curves.size(); i++) {
            RunCurves c = curves.get(i);
            RunSummary run = c.run();
            MetricPoint last = run.last().orElse(null);
            MetricPoint best = run.best().orElse(null);
            Double lastTrain = run.metrics().stream().filter(p -> p.trainLoss() != null)
                    .reduce((a, b) -> b).map(MetricPoint::trainLoss).orElse(null);
            h.append("<tr><td>").append(swatch(i)).append("<a href=\"#run-").append(i).append("\">").append(esc(c.label()))
                    .append("</a></td><td>").append(esc(run.stage() == null ? "?" : run.stage())).append("</td>")
                    .append(num(last == null ? "" : Format.count(last.step())))
                    .append(num(last == null || last.tokensSeen() == null ? "" : Format.count(last.tokensSeen().longValue())))
                    .append(num(last == null || last.elapsedS() == null ? "" : Format.duration(last.elapsedS())))
                    .append(num(lastTrain == null ? "" : Format.loss(lastTrain)))
                    .append(num(best == null ? "" : Format.loss(best.valLoss())))
                    .append(num(best == null ? "" : Format.count(best.step())))
                    .append("<td>").append(run.finished() ? "finished" : "unfinished (no manifest.json yet)")
                    .append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    private static void runSection(StringBuilder h, RunCurves c, int index) {
        RunSummary run = c.run();
        h.append("<h2 id=\"run-").append(index).append("\">").append(swatch(index)).append(esc(c.label())).append("</h2>\n");
        h.append("<p>Folder <code>").append(esc(run.dir().toString())).append("</code>");
        if (run.stage() != null) {
            h.append(", written by <code>chatforge ").append(esc(run.stage())).append("</code>");
        }
        h.append(".");
        run.best().ifPresent(best -> h.append(" Best validation loss <b>").append(Format.loss(best.valLoss()))
                .append("</b> (perplexity ").append(Format.perplexity(Math.exp(best.valLoss()))).append(") at step <b>")
                .append(Format.count(best.step())).append("</b>."));
        if (run.best().isEmpty()) {
            h.append(" No validation loss after step 0 yet.");
        }
        h.append("</p>\n");

        if (!run.parents().isEmpty()) {
            h.append("<h3>Parent chain</h3>\n<ol>\n<li><b>").append(esc(c.label())).append("</b> (this run)</li>\n");
            for (ParentLink p : run.parents()) {
                h.append("<li>fine-tuned from <code>").append(esc(p.checkpoint())).append("</code>");
                StringBuilder facts = new StringBuilder();
                if (p.stage() != null) {
                    facts.append("written by ").append(esc(p.stage()));
                }
                if (p.step() != null) {
                    facts.append(facts.length() > 0 ? ", " : "").append("step ").append(Format.count(p.step()));
                }
                if (p.tokensSeen() != null) {
                    facts.append(facts.length() > 0 ? ", " : "").append(Format.compact(p.tokensSeen())).append(" tokens seen");
                }
                if (!p.found()) {
                    facts.append(facts.length() > 0 ? ", " : "").append("folder not found from here");
                }
                if (facts.length() > 0) {
                    h.append(" (").append(facts).append(")");
                }
                h.append("</li>\n");
            }
            h.append("</ol>\n");
        }

        h.append("<h3>Evaluations</h3>\n");
        List<EvalReport> evals = run.evals().stream().filter(e -> e.benchmark() == null).toList();
        if (evals.isEmpty()) {
            h.append("<p>No <code>eval*.json</code> of a tokenized split in this folder (write one with <code>chatforge eval</code>, "
                    + "<code>report:</code> key)").append(run.evals().isEmpty() ? "" : "; its benchmark reports are under Benchmarks")
                    .append(".</p>\n");
        } else {
            h.append("<table>\n<tr><th>report</th><th>checkpoint</th><th>step</th><th>data</th><th>split</th>"
                    + "<th>tokens scored</th><th>loss</th><th>perplexity</th><th>bits per byte</th>"
                    + "<th>answers: ROUGE-L F1 / token F1 / exact match</th></tr>\n");
            for (EvalReport e : evals) {
                h.append("<tr><td><code>").append(esc(e.file())).append("</code></td><td><code>").append(esc(e.checkpoint()))
                        .append("</code></td>").append(num(e.step() == null ? "" : Format.count(e.step())))
                        .append("<td><code>").append(esc(e.data())).append("</code></td><td>").append(esc(e.split()))
                        .append(e.scored().isEmpty() ? "" : "<br><small>" + esc(e.scored()) + "</small>").append("</td>")
                        .append(num(Format.count(e.tokensScored()))).append(num(Format.loss(e.loss())))
                        .append(num(Format.perplexity(e.perplexity())))
                        .append(num(e.bitsPerByte() == null ? "n/a" : Format.loss(e.bitsPerByte())))
                        .append(num(e.answers() == null ? "" : Format.loss(e.answers().rougeL()) + " / "
                                + Format.loss(e.answers().tokenF1()) + " / " + Format.loss(e.answers().exactMatch())
                                + "<br><small>" + e.answers().turns() + " turns, <code>" + esc(e.answers().file().getFileName().toString())
                                + "</code></small>"))
                        .append("</tr>\n");
            }
            h.append("</table>\n");
        }

        h.append("<div class=\"columns\">\n");
        if (run.modelConfig() != null) {
            h.append("<div><h3>Model</h3>\n");
            keyValueTable(h, run.modelConfig());
            h.append("</div>\n");
        }
        h.append("<div><h3>Effective config</h3>\n");
        if (run.config() == null) {
            h.append("<p>Not recorded yet (the run has no checkpoint).</p>\n");
        } else {
            keyValueTable(h, run.config());
        }
        h.append("</div>\n</div>\n");
    }

    /** A JSON object as rows of key and value; nested objects as dotted keys. */
    private static void keyValueTable(StringBuilder h, JsonNode node) {
        h.append("<table>\n");
        rows(h, "", node);
        h.append("</table>\n");
    }

    private static void rows(StringBuilder h, String prefix, JsonNode node) {
        if (!node.isObject()) {
            h.append("<tr><th>").append(esc(prefix)).append("</th><td><code>")
                    .append(esc(node.isTextual() ? node.asText() : node.toString())).append("</code></td></tr>\n");
            return;
        }
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            rows(h, prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey(), field.getValue());
        }
    }

    static String swatch(int run) {
        return "<span class=\"swatch\" style=\"background:" + RunColors.hex(run) + "\"></span>";
    }

    static String num(String text) {
        return "<td class=\"num\">" + text + "</td>";
    }

    /** Text for HTML: run names, paths and config values are the user's, never markup. */
    static String esc(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char ch : text.toCharArray()) {
            switch (ch) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(ch);
            }
        }
        return out.toString();
    }
}
