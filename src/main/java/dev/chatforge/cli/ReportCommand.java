package dev.chatforge.cli;

import dev.chatforge.report.RunReport;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `chatforge report RUN_DIR... [--out DIR]`: curves and an HTML page of training runs. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Draw the curves of training runs (loss vs step and tokens seen, learning rate, gradient norm, "
                + "tokens/s), overlaid, and write them with each run's config, best step, eval reports and parent "
                + "chain as a self-contained HTML page.",
                "A fine-tune whose parent run is also given is drawn after it (its step 0 at the parent checkpoint's step)."})
public class ReportCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "RUN_DIR", description = "Output folders of `chatforge train` or `chatforge finetune`.")
    List<Path> runs;

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write curves.png and report.html (default: RUN_DIR/report of the first run).")
    Path out;

    @Option(names = "--force", description = "Replace a report already in the output folder.")
    boolean force;

    @Override
    public Integer call() {
        Path target = out != null ? out : RunReport.defaultOut(runs);
        RunReport.Written written = RunReport.write(runs, target, force);
        System.out.printf("report: %s (%d x %d)%n", written.figure(), written.width(), written.height());
        System.out.printf("report: %s%n", written.page());
        return 0;
    }
}
