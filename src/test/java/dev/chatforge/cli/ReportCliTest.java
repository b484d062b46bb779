package dev.chatforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ReportCliTest {
    @TempDir
    Path dir;

    /** Runs the CLI; returns {exit code, stderr}. */
    private static Object[] run(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        int code = cli.execute(args);
        return new Object[] {code, err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void aFolderWithoutMetricsIsBadInputNamingTheFile() throws Exception {
        Path run = Files.createDirectories(dir.resolve("empty-run"));
        Path out = dir.resolve("out");
        Object[] r = run("report", run.toString(), "--out", out.toString());
        assertEquals(Main.EXIT_FAILED, r[0]);
        assertTrue(((String) r[1]).contains(run.resolve("metrics.jsonl") + ": not found"), (String) r[1]);
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void aMalformedMetricsLineIsBadInputNamingFileAndLine() throws Exception {
        Path good = dir.resolve("good");
        Files.createDirectories(good);
        Files.writeString(good.resolve("metrics.jsonl"), "{\"step\":0,\"val_loss\":7.0}\n");
        Path bad = dir.resolve("bad");
        Files.createDirectories(bad);
        Files.writeString(bad.resolve("metrics.jsonl"), "{\"step\":0,\"val_loss\":7.0}\n{\"step\":10,\"train_loss\":\n");
        Path out = dir.resolve("out");
        Object[] r = run("report", good.toString(), bad.toString(), "--out", out.toString());
        assertEquals(Main.EXIT_FAILED, r[0]);
        assertTrue(((String) r[1]).contains(bad.resolve("metrics.jsonl") + ":2:"), (String) r[1]);
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void aReportOfOneRunGoesToItsReportFolderByDefault() throws Exception {
        Path run = dir.resolve("run");
        Files.createDirectories(run);
        Files.writeString(run.resolve("metrics.jsonl"), "{\"step\":0,\"val_loss\":7.0}\n"
                + "{\"step\":10,\"train_loss\":6.5,\"lr\":0.001,\"grad_norm\":1.0,\"tokens_per_sec\":100,\"tokens_seen\":640}\n");
        Object[] r = run("report", run.toString());
        assertEquals(0, r[0], (String) r[1]);
        assertTrue(Files.exists(run.resolve("report/curves.png")) && Files.exists(run.resolve("report/report.html")));
        assertEquals(Main.EXIT_FAILED, run("report", run.toString())[0], "no silent overwrite");
        assertEquals(0, run("report", run.toString(), "--force")[0]);
    }

    @Test
    void noRunFolderIsAUsageError() {
        assertEquals(Main.EXIT_USAGE, run("report")[0]);
    }
}
