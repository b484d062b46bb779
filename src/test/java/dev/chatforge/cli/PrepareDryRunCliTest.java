package dev.chatforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `chatforge prepare --dry-run` and the redaction keys through the real command line. */
class PrepareDryRunCliTest {
    @TempDir
    Path tmp;

    private String stderr = "";

    private int run(String... args) {
        CliRun result = CliRun.of(args);
        stderr = result.err();
        return result.code();
    }

    private Path config(String cleaning) throws IOException {
        Path in = tmp.resolve("pairs.jsonl");
        Files.writeString(in, "{\"user\": \"I am jane.doe@example.com, card 4111-1111-1111-1111\", \"agent\": \"Noted.\"}\n"
                + "{\"user\": \"Order #21265?\", \"agent\": \"Shipped.\"}\n");
        Path file = tmp.resolve("config.yaml");
        Files.writeString(file, "prepare:\n  inputs:\n    - path: " + in + "\n  output: " + tmp.resolve("out")
                + "\n  cleaning:\n" + cleaning);
        return file;
    }

    @Test
    void dryRunShowsAMaskedSampleAndWritesNothing() throws IOException {
        Path cfg = config("    redact: [email, card, phone]\n");
        assertEquals(0, run("prepare", "--config", cfg.toString(), "--dry-run"), stderr);
        assertFalse(Files.exists(tmp.resolve("out")), "nothing written");
        assertTrue(stderr.contains("would keep 2"), stderr);
        assertTrue(stderr.contains("redacted email 1, card 1 (2 in all)"), stderr);
        assertTrue(stderr.contains("j***@e***.com"), stderr);
        assertTrue(stderr.contains("****-****-****-**11"), stderr);
        assertFalse(stderr.contains("jane.doe@example.com"), "the sample never shows the data itself");
        assertFalse(stderr.contains("4111-1111"), "the sample never shows the data itself");

        assertEquals(0, run("prepare", "--config", cfg.toString()), stderr);
        assertTrue(stderr.contains("prepare: redacted email 1, card 1 (2 in all)"), stderr);
    }

    @Test
    void aMisspeltSectionIsRefusedInADryRunToo() throws IOException {
        Path cfg = config("    redact: [email]\n");
        assertEquals(2, run("prepare", "--config", cfg.toString(), "--section", "prepare/suport", "--dry-run"), stderr);
        assertTrue(stderr.contains("--section prepare/suport") && stderr.contains("no such section"), stderr);
    }

    @Test
    void unknownKindAndControlTokenPlaceholderAreConfigErrorsNamingTheKey() throws IOException {
        assertEquals(2, run("prepare", "--config", config("    redact: [email, passport]\n").toString()));
        assertTrue(stderr.contains("prepare.cleaning.redact[1]': unknown kind 'passport'"), stderr);
        assertEquals(2, run("prepare", "--config", config("    redact: [email]\n    placeholders: {email: \"<|user|>\"}\n").toString()));
        assertTrue(stderr.contains("prepare.cleaning.placeholders.email'"), stderr);
        assertTrue(stderr.contains("control token"), stderr);
        assertFalse(Files.exists(tmp.resolve("out")));
    }

    @Test
    void spellingWithoutTheLanguageToolBuildSaysHowToGetIt() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeFalse(languageToolBuiltIn(), "this build has LanguageTool (-Pspelling)");
        assertEquals(2, run("prepare", "--config", config("    spelling: user\n").toString()));
        assertTrue(stderr.contains("-Pcpu,spelling"), stderr);
        assertFalse(Files.exists(tmp.resolve("out")));
        assertEquals(2, run("prepare", "--config", config("    spelling: everyone\n").toString()));
        assertTrue(stderr.contains("prepare.cleaning.spelling': must be one of [off, user, agent, all]"), stderr);
    }

    private static boolean languageToolBuiltIn() {
        try {
            Class.forName("dev.chatforge.data.LanguageToolSpeller");
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
