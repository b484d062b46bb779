package dev.chatforge.report;

import dev.chatforge.train.MetricsLog;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.JFreeChart;

/**
 * {@code loss.png} in a run folder, redrawn by train and finetune at every evaluation from the
 * run's {@code metrics.jsonl}, so the curve can be looked at while the run goes on. A chart is a
 * convenience: any failure is a warning, never the end of a run.
 */
public final class LiveLossChart {
    public static final String FILE_NAME = "loss.png";
    static final int WIDTH = 900;
    static final int HEIGHT = 500;

    private LiveLossChart() {}

    /** Redraws {@code runDir/loss.png}; prints a warning instead of failing. */
    public static void refresh(Path runDir) {
        try {
            draw(runDir);
        } catch (RuntimeException | LinkageError | java.awt.AWTError | InternalError e) {
            // InternalError: what the JDK's font manager throws on a system without fonts
            System.err.println("warning: could not draw " + runDir.resolve(FILE_NAME) + ": " + e);
        }
    }

    static void draw(Path runDir) {
        RunSummary run = new RunSummary(runDir, null, false, null, null,
                MetricsFile.read(runDir.resolve(MetricsLog.FILE_NAME)), List.of(), List.of());
        RunCurves curves = RunCurves.of(run.name(), run, AxisOffset.NONE);
        JFreeChart chart = CurveCharts.lossByStep(List.of(curves));
        chart.getTitle().setText(run.name() + ": loss vs step");
        PngFiles.write(runDir.resolve(FILE_NAME), PngFiles.encode(CurveCharts.image(chart, WIDTH, HEIGHT)));
    }
}
