package dev.chatforge.report;

import java.awt.Color;

/** One colour per run of a report (matplotlib's "tab10", which most people read curves in). */
public final class RunColors {
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf),
    };

    private RunColors() {}

    public static Color of(int run) {
        return PALETTE[run % PALETTE.length];
    }

    /** {@code #rrggbb}, for the HTML page. */
    public static String hex(int run) {
        return String.format("#%06x", of(run).getRGB() & 0xffffff);
    }
}
