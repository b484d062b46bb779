package dev.chatforge.report;

import dev.chatforge.io.AtomicFiles;
import dev.chatforge.io.StageOutput;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code chatforge report}: reads one or more run folders and writes {@value #FIGURE} (loss
 * against step and tokens seen, learning rate, gradient norm, tokens/s, a summary of each run)
 * and {@value #PAGE} (the same figure inline, each run's best step, eval reports, parent chain and
 * effective config), both into one output folder owned by a {@link StageOutput}: built beside it
 * and swapped in whole; a folder holding anything else is never replaced.
 */
public final class RunReport {
    public static final String STAGE = "report";
    public static final String FIGURE = "curves.png";
    public static final String PAGE = "report.html";

    private RunReport() {}

    /** The files a report writes into {@code out}. */
    public record Written(Path figure, Path page, int width, int height) {}

    /** Where a report goes when no --out is given: {@code report/} in the first run's folder. */
    public static Path defaultOut(List<Path> runDirs) {
        return runDirs.get(0).resolve("report");
    }

    public static Written write(List<Path> runDirs, Path out, boolean force) {
        if (runDirs.isEmpty()) {
            throw new IllegalArgumentException("no run folder given");
        }
        List<RunSummary> runs = new ArrayList<>();
        List<Path> inputs = new ArrayList<>();
        for (Path dir : runDirs) {
            runs.add(RunSummary.read(dir));  // every run is read (and checked) before anything is written
            inputs.addAll(RunSummary.filesRead(dir));
        }
        try (StageOutput output = StageOutput.folder(STAGE, out).owns(FIGURE, PAGE).reads(inputs).force(force).open()) {
            List<RunCurves> curves = RunCurves.of(runs);
            String names = String.join(", ", curves.stream().map(RunCurves::label).toList());
            var image = CurveCharts.overview("chatforge report: " + names, curves);
            byte[] png = PngFiles.encode(image);
            PngFiles.write(output.path().resolve(FIGURE), png);
            AtomicFiles.writeString(output.path().resolve(PAGE), ReportPage.html(curves, png, FIGURE));
            output.commit();
            return new Written(out.resolve(FIGURE), out.resolve(PAGE), image.getWidth(), image.getHeight());
        }
    }
}
