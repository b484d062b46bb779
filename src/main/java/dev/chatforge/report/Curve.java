package dev.chatforge.report;

import java.util.Arrays;

/**
 * One line of a chart: points (x[i], y[i]) in the order they were logged.
 *
 * @param label what the legend calls it ("smoke train")
 */
public record Curve(String label, double[] x, double[] y) {
    public Curve {
        if (x.length != y.length) {
            throw new IllegalArgumentException(label + ": " + x.length + " x values for " + y.length + " y values");
        }
    }

    public int size() {
        return x.length;
    }

    public boolean isEmpty() {
        return x.length == 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Curve c && label.equals(c.label) && Arrays.equals(x, c.x) && Arrays.equals(y, c.y);
    }

    @Override
    public int hashCode() {
        return 31 * label.hashCode() + 17 * Arrays.hashCode(x) + Arrays.hashCode(y);
    }

    @Override
    public String toString() {
        return label + " x=" + Arrays.toString(x) + " y=" + Arrays.toString(y);
    }
}
