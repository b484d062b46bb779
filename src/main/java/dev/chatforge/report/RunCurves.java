package dev.chatforge.report;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The chart data of one run: its metrics as curves against step and tokens seen, shifted by
 * its {@link AxisOffset}. Points whose value was not logged are left out (validation losses exist
 * only at evaluations); non-finite values too, since no chart can place them.
 *
 * @param label the run's name in legends
 */
public record RunCurves(String label, RunSummary run, AxisOffset offset, Curve trainLossByStep, Curve valLossByStep,
                        Curve trainLossByTokens, Curve valLossByTokens, Curve learningRate, Curve gradNorm,
                        Curve tokensPerSec) {

    public static RunCurves of(String label, RunSummary run, AxisOffset offset) {
        List<MetricPoint> points = run.metrics();
        Function<MetricPoint, Double> step = p -> (double) (p.step() + offset.steps());
        // Step 0's line (the first validation) has no tokens_seen: it is 0 tokens by definition.
        Function<MetricPoint, Double> tokens = p -> p.tokensSeen() != null ? p.tokensSeen() + offset.tokens()
                : p.step() == 0 ? offset.tokens() : null;
        return new RunCurves(label, run, offset,
                curve(label + " train", points, step, MetricPoint::trainLoss),
                curve(label + " val", points, step, MetricPoint::valLoss),
                curve(label + " train", points, tokens, MetricPoint::trainLoss),
                curve(label + " val", points, tokens, MetricPoint::valLoss),
                curve(label, points, step, MetricPoint::learningRate),
                curve(label, points, step, MetricPoint::gradNorm),
                curve(label, points, step, MetricPoint::tokensPerSec));
    }

    /** Curves for every run of a report, fine-tunes placed after their parents, labelled by folder name. */
    public static List<RunCurves> of(List<RunSummary> runs) {
        List<AxisOffset> offsets = AxisOffset.of(runs);
        List<String> labels = RunLabels.of(runs);
        List<RunCurves> curves = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            curves.add(of(labels.get(i), runs.get(i), offsets.get(i)));
        }
        return curves;
    }

    static Curve curve(String label, List<MetricPoint> points, Function<MetricPoint, Double> x,
                       Function<MetricPoint, Double> y) {
        double[] xs = new double[points.size()];
        double[] ys = new double[points.size()];
        int n = 0;
        for (MetricPoint p : points) {
            Double xv = x.apply(p);
            Double yv = y.apply(p);
            if (xv != null && yv != null && Double.isFinite(xv) && Double.isFinite(yv)) {
                xs[n] = xv;
                ys[n] = yv;
                n++;
            }
        }
        return new Curve(label, java.util.Arrays.copyOf(xs, n), java.util.Arrays.copyOf(ys, n));
    }
}
