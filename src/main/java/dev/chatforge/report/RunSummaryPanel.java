package dev.chatforge.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.util.ArrayList;
import java.util.List;

/**
 * The sixth cell of the overview figure: per run, in its colour, what a reader of the curves asks
 * first (how far it went, its best validation loss and where, its eval reports, what it continues),
 * so the picture stands alone in a README or an issue.
 */
final class RunSummaryPanel {
    private static final Font HEADING = new Font(Font.SANS_SERIF, Font.BOLD, 15);
    private static final Font NAME = new Font(Font.SANS_SERIF, Font.BOLD, 13);
    private static final Font TEXT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    private RunSummaryPanel() {}

    static void draw(Graphics2D g, Rectangle2D area, List<RunCurves> runs) {
        int x = (int) area.getX() + 24;
        int y = (int) area.getY() + 30;
        int bottom = (int) area.getMaxY() - 10;
        g.setColor(Color.BLACK);
        g.setFont(HEADING);
        g.drawString("Runs", x, y);
        y += 26;
        for (int r = 0; r < runs.size(); r++) {
            RunCurves run = runs.get(r);
            List<String> lines = lines(run);
            if (y + 18 * (lines.size() + 1) > bottom) {
                g.setFont(TEXT);
                g.setColor(Color.DARK_GRAY);
                g.drawString("… " + (runs.size() - r) + " more: see report.html", x, y);
                return;
            }
            g.setColor(RunColors.of(r));
            g.setStroke(new BasicStroke(4f));
            g.drawLine(x, y - 5, x + 22, y - 5);
            g.setColor(Color.BLACK);
            g.setFont(NAME);
            g.drawString(run.label() + (run.run().stage() == null ? "" : " (" + run.run().stage() + ")"), x + 30, y);
            g.setFont(TEXT);
            g.setColor(new Color(0x333333));
            for (String line : lines) {
                y += 18;
                g.drawString(line, x + 30, y);
            }
            y += 28;
        }
    }

    static List<String> lines(RunCurves curves) {
        RunSummary run = curves.run();
        List<String> lines = new ArrayList<>();
        run.last().ifPresent(last -> lines.add(Format.count(last.step()) + " steps"
                + (last.tokensSeen() == null ? "" : ", " + Format.compact(last.tokensSeen()) + " tokens")
                + (last.elapsedS() == null ? "" : ", " + Format.duration(last.elapsedS()))
                + (run.finished() ? "" : " (unfinished)")));
        run.best().ifPresent(best -> lines.add("best val loss " + Format.loss(best.valLoss()) + " at step "
                + Format.count(best.step()) + " (perplexity " + Format.perplexity(Math.exp(best.valLoss())) + ")"));
        for (EvalReport eval : run.evals()) {
            String figures = eval.benchmark() != null
                    ? eval.benchmark() + " " + String.join(", ", eval.figures().entrySet().stream()
                            .map(f -> f.getKey() + " " + Format.loss(f.getValue())).toList())
                    : "perplexity " + Format.perplexity(eval.perplexity())
                            + (eval.bitsPerByte() == null ? "" : ", " + Format.loss(eval.bitsPerByte()) + " bits/byte");
            lines.add(eval.file() + ": " + figures
                    + (eval.answers() == null ? "" : ", answers ROUGE-L " + Format.loss(eval.answers().rougeL())));
        }
        if (!run.parents().isEmpty()) {
            ParentLink parent = run.parents().get(0);
            lines.add("fine-tunes " + parent.checkpoint() + (parent.step() == null ? "" : " (step " + parent.step() + ")")
                    + (curves.offset().parent() != null ? ", drawn after it" : ""));
        }
        return lines;
    }
}
