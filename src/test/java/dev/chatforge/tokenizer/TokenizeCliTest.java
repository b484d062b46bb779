package dev.chatforge.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chatforge.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `chatforge tokenize` through the real CLI: exit codes and messages. */
class TokenizeCliTest {
    @TempDir
    Path dir;

    private record Result(int code, String err) {}

    private static Result run(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Result(code, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(old);
        }
    }

    private Path config(String body) throws Exception {
        Path file = dir.resolve("c" + System.nanoTime() + ".yaml");
        Files.writeString(file, body);
        return file;
    }

    @Test
    void runsRefusesToOverwriteAndReplacesWithForce() throws Exception {
        Path input = PreparedFixture.mixed(dir.resolve("prepared"));
        Path output = dir.resolve("tokens");
        Path yaml = config("tokenize:\n  input: " + input + "\n  output: " + output + "\n  vocab_size: 300\n"
                + "tokenize/inst:\n  input: " + input + "\n  output: " + dir.resolve("inst") + "\n  vocab_size: 300\n"
                + "  template: inst\n");
        Result ok = run("tokenize", "--config", yaml.toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(Files.exists(output.resolve("manifest.json")));
        TokenFile.open(output.resolve("train.bin"));

        Result again = run("tokenize", "--config", yaml.toString());
        assertEquals(Main.EXIT_FAILED, again.code());
        assertTrue(again.err().contains(output.toString()) && again.err().contains("--force"), again.err());

        assertEquals(0, run("tokenize", "--config", yaml.toString(), "--force").code());
        Result inst = run("tokenize", "--config", yaml.toString(), "--section", "tokenize/inst");
        assertEquals(0, inst.code(), inst.err());
        assertTrue(Files.readString(dir.resolve("inst").resolve("manifest.json")).contains("\"template\" : \"inst\""));
    }

    @Test
    void badConfigExitsTwoNamingTheKey() throws Exception {
        Path input = PreparedFixture.mixed(dir.resolve("prepared"));
        Path small = config("tokenize:\n  input: " + input + "\n  output: " + dir.resolve("t") + "\n  vocab_size: 100\n");
        Result r = run("tokenize", "--config", small.toString());
        assertEquals(Main.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("tokenize.vocab_size") && r.err().contains("at least 263"), r.err());

        Result misspelt = run("tokenize", "--config", small.toString(), "--set", "tokenize.vocab_sise=500");
        assertEquals(Main.EXIT_USAGE, misspelt.code());
        assertTrue(misspelt.err().contains("vocab_size"), misspelt.err());

        Result template = run("tokenize", "--config", small.toString(), "--set", "tokenize.vocab_size=500",
                "--set", "tokenize.template=chatml");
        assertEquals(Main.EXIT_USAGE, template.code());
        assertTrue(template.err().contains("tokenize.template"), template.err());

        Result reserved = run("tokenize", "--config", small.toString(), "--set", "tokenize.vocab_size=500",
                "--set", "tokenize.special_tokens=[<|end|>]");
        assertEquals(Main.EXIT_USAGE, reserved.code());
        assertTrue(reserved.err().contains("tokenize.special_tokens"), reserved.err());
    }

    @Test
    void missingPreparedDataExitsOneNamingTheManifest() throws Exception {
        Path yaml = config("tokenize:\n  input: " + dir.resolve("nothing") + "\n  output: " + dir.resolve("t") + "\n");
        Result r = run("tokenize", "--config", yaml.toString());
        assertEquals(Main.EXIT_FAILED, r.code());
        assertTrue(r.err().contains(dir.resolve("nothing").resolve("manifest.json").toString())
                && r.err().contains("chatforge prepare"), r.err());

        Path badTokenizer = config("tokenize:\n  input: " + PreparedFixture.mixed(dir.resolve("p")) + "\n  output: "
                + dir.resolve("t") + "\n  tokenizer: " + dir.resolve("missing.json") + "\n");
        r = run("tokenize", "--config", badTokenizer.toString());
        assertEquals(Main.EXIT_FAILED, r.code());
        assertTrue(r.err().contains("missing.json") && r.err().contains("'tokenizer'"), r.err());
    }
}
