package dev.chatforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
    @TempDir
    Path dir;

    /** Runs the CLI capturing stderr; returns {exit code, stderr}. */
    static Object[] runCapturingErr(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = runWithErr(args, err);
            return new Object[] {code, err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setErr(old);
        }
    }

    private static int runWithErr(String[] args, ByteArrayOutputStream err) {
        picocli.CommandLine cli = Main.commandLine();
        cli.setErr(new java.io.PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        return cli.execute(args);
    }

    @Test
    void helpListsEveryStageAndExitsZero() {
        Object[] r = runCapturingErr("--help");
        assertEquals(0, r[0]);
    }

    @Test
    void unknownOptionIsAUsageError() {
        Object[] r = runCapturingErr("prepare", "--no-such-option");
        assertEquals(Main.EXIT_USAGE, r[0]);
    }

    @Test
    void badConfigExitsTwoNamingFileAndKey() throws Exception {
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, "pipeline: [prepare, nosuch]\nprepare: {}\n");
        Object[] r = runCapturingErr("pipeline", "--config", config.toString());
        assertEquals(Main.EXIT_USAGE, r[0]);
        assertTrue(((String) r[1]).contains(config.toString()) && ((String) r[1]).contains("'nosuch'"), (String) r[1]);
    }

    @Test
    void pipelineWithoutAListSaysWhatToAdd() throws Exception {
        Path config = dir.resolve("empty.yaml");
        Files.writeString(config, "prepare: {}\n");
        Object[] r = runCapturingErr("pipeline", "--config", config.toString());
        assertEquals(Main.EXIT_USAGE, r[0]);
        assertTrue(((String) r[1]).contains("pipeline:"), (String) r[1]);
    }
}
