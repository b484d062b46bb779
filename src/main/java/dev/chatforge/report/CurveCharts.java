package dev.chatforge.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.text.DecimalFormat;
import java.text.NumberFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.TickUnits;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Draws {@link RunCurves} with JFreeChart, off screen: one chart per metric, and the overview
 * figure of a report (five charts and a summary of the runs in a 2 × 3 grid). Each run has one
 * colour; training losses are thin lines, validation losses thicker lines with a dot per
 * evaluation. Losses and gradient norms are on log scales (they fall by orders of magnitude and
 * spike); a fine-tune that continues a run of the same report starts at a dashed marker.
 */
public final class CurveCharts {
    static {
        // Charts are drawn into images; no display is needed or wanted (servers, CI, surefire).
        System.setProperty("java.awt.headless", "true");
    }

    public static final int PANEL_WIDTH = 600;
    public static final int PANEL_HEIGHT = 400;
    private static final int TITLE_HEIGHT = 44;
    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 15);
    private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    private static final Font TICK_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    private static final Color GRID = new Color(0xdddddd);

    private CurveCharts() {}

    public static JFreeChart lossByStep(List<RunCurves> runs) {
        JFreeChart chart = chart("Loss vs step", stepAxis(), logAxis("loss (nats/token, log scale)"), runs,
                true, r -> List.of(r.trainLossByStep(), r.valLossByStep()));
        markFineTuneStarts(chart, runs);
        return chart;
    }

    public static JFreeChart lossByTokens(List<RunCurves> runs) {
        return chart("Loss vs tokens seen", countAxis("tokens seen"), logAxis("loss (nats/token, log scale)"), runs, true,
                r -> List.of(r.trainLossByTokens(), r.valLossByTokens()));
    }

    public static JFreeChart learningRate(List<RunCurves> runs) {
        NumberAxis y = new NumberAxis("learning rate");
        y.setNumberFormatOverride(new DecimalFormat("0.0##E0"));
        JFreeChart chart = chart("Learning rate", stepAxis(), y, runs, false, r -> List.of(r.learningRate()));
        markFineTuneStarts(chart, runs);
        return chart;
    }

    public static JFreeChart gradNorm(List<RunCurves> runs) {
        JFreeChart chart = chart("Gradient norm (before clipping)", stepAxis(), logAxis("global L2 norm (log scale)"),
                runs, false, r -> List.of(r.gradNorm()));
        markFineTuneStarts(chart, runs);
        return chart;
    }

    public static JFreeChart throughput(List<RunCurves> runs) {
        JFreeChart chart = chart("Training throughput", stepAxis(), countAxis("tokens/s"), runs, false, r -> List.of(r.tokensPerSec()));
        markFineTuneStarts(chart, runs);
        return chart;
    }

    /** A chart alone, as an image of the given size. */
    public static BufferedImage image(JFreeChart chart, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            chart.draw(g, new Rectangle2D.Double(0, 0, width, height));
        } finally {
            g.dispose();
        }
        return image;
    }

    /** The report's figure: a title, then loss/step, loss/tokens, lr, grad norm, tok/s and a summary. */
    public static BufferedImage overview(String title, List<RunCurves> runs) {
        int width = 2 * PANEL_WIDTH;
        int height = TITLE_HEIGHT + 3 * PANEL_HEIGHT;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 20));
            g.drawString(title, 16, 30);
            List<JFreeChart> charts = List.of(lossByStep(runs), lossByTokens(runs), learningRate(runs), gradNorm(runs),
                    throughput(runs));
            for (int i = 0; i < charts.size(); i++) {
                charts.get(i).draw(g, panel(i));
            }
            RunSummaryPanel.draw(g, panel(5), runs);
        } finally {
            g.dispose();
        }
        return image;
    }

    private static Rectangle2D panel(int index) {
        return new Rectangle2D.Double((index % 2) * PANEL_WIDTH, TITLE_HEIGHT + (index / 2) * PANEL_HEIGHT,
                PANEL_WIDTH, PANEL_HEIGHT);
    }

    private static JFreeChart chart(String title, ValueAxis x, ValueAxis y, List<RunCurves> runs, boolean trainAndVal,
                                    Function<RunCurves, List<Curve>> curves) {
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        boolean logY = y instanceof LogScaleAxis;
        for (int r = 0; r < runs.size(); r++) {
            List<Curve> own = curves.apply(runs.get(r));
            for (int c = 0; c < own.size(); c++) {
                Curve curve = own.get(c);
                XYSeries series = new XYSeries(curve.label(), false, true);
                for (int i = 0; i < curve.size(); i++) {
                    if (!logY || curve.y()[i] > 0) { // a log axis cannot place 0
                        series.add(curve.x()[i], curve.y()[i]);
                    }
                }
                int index = data.getSeriesCount();
                data.addSeries(series);
                boolean validation = trainAndVal && c == 1;
                Color color = RunColors.of(r);
                renderer.setSeriesPaint(index, trainAndVal && !validation ? translucent(color) : color);
                renderer.setSeriesStroke(index, new BasicStroke(validation ? 2.4f : 1.5f, BasicStroke.CAP_ROUND,
                        BasicStroke.JOIN_ROUND));
                renderer.setSeriesShapesVisible(index, validation || series.getItemCount() == 1);
                renderer.setSeriesShape(index, new Ellipse2D.Double(-3.5, -3.5, 7, 7));
            }
        }
        x.setLabelFont(LABEL_FONT);
        y.setLabelFont(LABEL_FONT);
        x.setTickLabelFont(TICK_FONT);
        y.setTickLabelFont(TICK_FONT);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(GRID);
        plot.setRangeGridlinePaint(GRID);
        plot.setOutlinePaint(Color.GRAY);
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
        JFreeChart chart = new JFreeChart(null, null, plot, runs.size() > 1 || trainAndVal);
        chart.setTitle(new TextTitle(title, TITLE_FONT));
        chart.setBackgroundPaint(Color.WHITE);
        chart.setPadding(new RectangleInsets(6, 6, 6, 12));
        if (chart.getLegend() != null) {
            chart.getLegend().setItemFont(TICK_FONT);
            chart.getLegend().setFrame(new org.jfree.chart.block.BlockBorder(Color.WHITE));
        }
        chart.setAntiAlias(true);
        chart.setTextAntiAlias(true);
        return chart;
    }

    /** A dashed vertical line where a fine-tune placed after its parent starts. */
    private static void markFineTuneStarts(JFreeChart chart, List<RunCurves> runs) {
        for (int r = 0; r < runs.size(); r++) {
            RunCurves run = runs.get(r);
            if (run.offset().parent() != null) {
                ValueMarker marker = new ValueMarker(run.offset().steps(), RunColors.of(r),
                        new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {5f, 4f}, 0f));
                marker.setLabel(run.label() + " starts");
                marker.setLabelFont(TICK_FONT);
                marker.setLabelPaint(RunColors.of(r).darker());
                marker.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
                marker.setLabelTextAnchor(TextAnchor.TOP_LEFT);
                marker.setLabelOffset(new RectangleInsets(4, 4, 4, 4));
                marker.setLabelBackgroundColor(new Color(255, 255, 255, 0));
                chart.getXYPlot().addDomainMarker(marker);
            }
        }
    }

    private static NumberAxis stepAxis() {
        NumberAxis axis = new NumberAxis("step");
        axis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        axis.setAutoRangeIncludesZero(false);
        return axis;
    }

    private static LogScaleAxis logAxis(String label) {
        return new LogScaleAxis(label);
    }

    /** An axis of counts labelled 12K, 1.5M (token counts, tokens/s). */
    private static NumberAxis countAxis(String label) {
        NumberAxis axis = new NumberAxis(label);
        NumberFormat format = NumberFormat.getCompactNumberInstance(Locale.US, NumberFormat.Style.SHORT);
        format.setMaximumFractionDigits(2);
        TickUnits units = new TickUnits();
        for (double scale = 1; scale <= 1e15; scale *= 10) {
            for (double m : new double[] {1, 2, 2.5, 5}) {
                units.add(new NumberTickUnit(m * scale, format));
            }
        }
        axis.setStandardTickUnits(units);
        return axis;
    }

    private static Color translucent(Color color) {
        return new Color(color.getRed(), color.getGreen(), color.getBlue(), 150);
    }
}
