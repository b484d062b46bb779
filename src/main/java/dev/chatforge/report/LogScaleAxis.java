package dev.chatforge.report;

import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.List;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.TickType;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;

/**
 * A log-scale axis labelled at round values (1, 2, 3, 5 ...), not only at powers of ten: a loss
 * from 7.6 to 4 spans less than a decade, and JFreeChart's own log axes then show one label or
 * none. The coarsest set of round values that gives at least six labels in range is used.
 */
final class LogScaleAxis extends LogAxis {
    private static final long serialVersionUID = 1L;
    private static final double[][] MANTISSAS = {
        {1}, {1, 2, 5}, {1, 1.5, 2, 3, 4, 5, 6, 8}, steps(0.5), steps(0.1),
    };
    private static final int MIN_LABELS = 6;

    LogScaleAxis(String label) {
        super(label);
        setSmallestValue(1e-9);
        setMinorTickMarksVisible(false);
    }

    @Override
    protected List<NumberTick> refreshTicksVertical(Graphics2D g2, Rectangle2D dataArea, RectangleEdge edge) {
        return ticks(TextAnchor.CENTER_RIGHT);
    }

    @Override
    protected List<NumberTick> refreshTicksHorizontal(Graphics2D g2, Rectangle2D dataArea, RectangleEdge edge) {
        return ticks(TextAnchor.TOP_CENTER);
    }

    private List<NumberTick> ticks(TextAnchor anchor) {
        List<Double> values = roundValues(getLowerBound(), getUpperBound());
        DecimalFormat format = new DecimalFormat("#,##0.###");
        List<NumberTick> ticks = new ArrayList<>();
        for (double v : values) {
            ticks.add(new NumberTick(TickType.MAJOR, v, format.format(v), anchor, TextAnchor.CENTER, 0));
        }
        return ticks;
    }

    /** Round values between lower and upper: the coarsest set with at least six of them. */
    static List<Double> roundValues(double lower, double upper) {
        List<Double> values = List.of();
        if (!(lower > 0) || !(upper > lower)) {
            return values;
        }
        for (double[] mantissas : MANTISSAS) {
            values = new ArrayList<>();
            for (int exp = (int) Math.floor(Math.log10(lower)); exp <= (int) Math.ceil(Math.log10(upper)); exp++) {
                double scale = Math.pow(10, exp);
                for (double m : mantissas) {
                    double v = Double.parseDouble(String.format(java.util.Locale.ROOT, "%.6g", m * scale));
                    if (v >= lower && v <= upper) {
                        values.add(v);
                    }
                }
            }
            if (values.size() >= MIN_LABELS) {
                break;
            }
        }
        return values;
    }

    private static double[] steps(double step) {
        int n = (int) Math.round(9 / step);
        double[] mantissas = new double[n];
        for (int i = 0; i < n; i++) {
            mantissas[i] = 1 + i * step;
        }
        return mantissas;
    }
}
