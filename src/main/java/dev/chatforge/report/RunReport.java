package dev.chatforge.report;

import dev.chatforge.io.AtomicFiles;
import dev.chatforge.io.StageInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code chatforge report}: reads one or more run folders and writes {@value #FIGURE} (loss
 * against step and tokens seen, learning rate, gradient norm, tokens/s, a summary of each run)
 * and {@value #PAGE} (the same figure inline, each run's best step, eval reports, parent chain and
 * effective config). Every folder is read before anything is written, and each file is written
 * whole (temporary file, then rename).
 */
public final class RunReport {
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
        Path figure = out.resolve(FIGURE);
        Path page = out.resolve(PAGE);
        for (Path file : List.of(figure, page)) {
            if (Files.exists(file) && !force) {
                throw new StageInputException(file + ": already exists; pass --force to replace it (or choose another --out)");
            }
        }
        List<RunSummary> runs = new ArrayList<>();
        for (Path dir : runDirs) {
            runs.add(RunSummary.read(dir));
        }
        List<RunCurves> curves = RunCurves.of(runs);
        String names = String.join(", ", curves.stream().map(RunCurves::label).toList());
        var image = CurveCharts.overview("chatforge report: " + names, curves);
        byte[] png = PngFiles.encode(image);
        PngFiles.write(figure, png);
        AtomicFiles.writeString(page, ReportPage.html(curves, png, FIGURE));
        return new Written(figure, page, image.getWidth(), image.getHeight());
    }
}
