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

    /** A misspelt section in a file, a --set without or with a wrong section, or a --section the file lacks: exit 2. */
    @Test
    void misspeltSectionsStopTheCommandWithTheClosestName() throws Exception {
        Path config = dir.resolve("smoke.yaml");
        Files.writeString(config, "train:\n  max_steps: 3\neval/support:\n  split: val\n");
        Object[] r = runCapturingErr("train", "--config", config.toString(), "--set", "trian.max_steps=1");
        assertEquals(Main.EXIT_USAGE, r[0]);
        assertTrue(((String) r[1]).contains("--set trian.max_steps=1: unknown section 'trian' (did you mean 'train'?)"),
                (String) r[1]);

        r = runCapturingErr("train", "--config", config.toString(), "--set", "max_steps=5");
        assertEquals(Main.EXIT_USAGE, r[0]);
        assertTrue(((String) r[1]).contains("--set max_steps=5: expected SECTION.key=value, e.g. train.max_steps=5"),
                (String) r[1]);

        r = runCapturingErr("eval", "--config", config.toString(), "--section", "eval/nope");
        assertEquals(Main.EXIT_USAGE, r[0]);
        assertTrue(((String) r[1]).contains("--section eval/nope: " + config + " has no such section")
                && ((String) r[1]).contains("eval/support"), (String) r[1]);

        r = runCapturingErr("eval", "--config", config.toString(), "--section", "train");
        assertEquals(Main.EXIT_USAGE, r[0]);
        assertTrue(((String) r[1]).contains("--section train: the 'eval' command reads"), (String) r[1]);

        Path typo = dir.resolve("typo.yaml");
        Files.writeString(typo, "trian:\n  max_steps: 1\nevl/support:\n  split: val\n");
        r = runCapturingErr("train", "--config", typo.toString());
        assertEquals(Main.EXIT_USAGE, r[0]);
        assertTrue(((String) r[1]).contains(typo + ": unknown section 'trian' (did you mean 'train'?)"), (String) r[1]);
        Files.writeString(typo, "train:\n  max_steps: 1\nevl/support:\n  split: val\n");
        r = runCapturingErr("train", "--config", typo.toString());
        assertEquals(Main.EXIT_USAGE, r[0]);
        assertTrue(((String) r[1]).contains("unknown section 'evl/support' (did you mean 'eval/support'?)"), (String) r[1]);
    }

    @Test
    void benchOnAMissingFileSaysSoWithoutAStackTrace() {
        Path missing = dir.resolve("missing.jsonl");
        for (String[] args : new String[][] {{"bench", "prepare", missing.toString()},
                {"bench", "tokenize", "--input", missing.toString()}}) {
            Object[] r = runCapturingErr(args);
            String err = (String) r[1];
            assertEquals(Main.EXIT_FAILED, r[0], err);
            assertTrue(err.contains("error: " + missing + ": not found"), err);
            assertTrue(!err.contains("Exception") && !err.contains("\tat "), err);
        }
    }
}
