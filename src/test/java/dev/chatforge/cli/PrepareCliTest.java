package dev.chatforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.data.Record;
import dev.chatforge.io.Json;
import dev.chatforge.io.Manifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `chatforge prepare` through the real command line: exit codes, messages, and what is left on disk. */
class PrepareCliTest {
    @TempDir
    Path tmp;

    private String stderr = "";

    private int run(String... args) {
        CliRun result = CliRun.of(args);
        stderr = result.err();
        return result.code();
    }

    private Path config(String yaml) throws IOException {
        Path file = tmp.resolve("config.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    private List<String> leftInTmp() throws IOException {
        try (Stream<Path> files = Files.list(tmp)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void preparesAndExitsZero() throws IOException {
        Path in = tmp.resolve("pairs.jsonl");
        Files.writeString(in, "{\"user\": \"u\", \"agent\": \"a\"}\n");
        Path cfg = config("prepare:\n  inputs:\n    - path: " + in + "\n  output: " + tmp.resolve("out") + "\n");
        assertEquals(0, run("prepare", "--config", cfg.toString()));
        assertTrue(stderr.contains("# effective config"), "prints the effective config");
        assertTrue(Files.exists(tmp.resolve("out/manifest.json")));
    }

    @Test
    void strictBadInputExitsOneNamingFileAndLineAndLeavesNothing() throws IOException {
        Path in = tmp.resolve("pairs.jsonl");
        Files.writeString(in, "{\"user\": \"u\", \"agent\": \"a\"}\n{\"user\": \"u\", \"agent\": \"a\"\n");
        Path cfg = config("prepare:\n  inputs:\n    - path: " + in + "\n  output: " + tmp.resolve("out") + "\n  strict: true\n");
        assertEquals(1, run("prepare", "--config", cfg.toString()));
        assertTrue(stderr.contains("error: " + in + ":2: malformed JSON"), stderr);
        assertEquals(List.of("config.yaml", "out.lock", "pairs.jsonl"), leftInTmp(),
                "no output and no temporary folder, only the (free) lock file");
    }

    @Test
    void eachKindOfBadInputFailsStrictModeWithItsOwnMessage() throws IOException {
        byte[] invalidUtf8 = {'h', 'i', (byte) 0xFF, '\n'};
        Object[][] cases = {
                {"a.jsonl", "{\"messages\": [{\"role\": \"bot\", \"content\": \"x\"}]}\n", ":1: messages[0]: unknown role 'bot'"},
                {"b.csv", "user,agent\nonly one column\n", ":2: row has 1 of 2 columns; missing [agent]"},
                {"c.inst", "[INST] q\n", ":1: [INST] without a matching [/INST]"},
                {"d.txt", invalidUtf8, ":1: invalid UTF-8"},
                {"e.jsonl", "{\"user\": 1, \"agent\": \"a\"}\n", ":1: 'user' must be a string, got a number"},
        };
        for (Object[] c : cases) {
            Path in = tmp.resolve((String) c[0]);
            if (c[1] instanceof String text) {
                Files.writeString(in, text);
            } else {
                Files.write(in, (byte[]) c[1]);
            }
            String out = tmp.resolve("out-" + c[0]).toString();
            assertEquals(1, run("prepare", "--set", "prepare.inputs=[{path: " + in + "}]", "--set", "prepare.output=" + out,
                    "--set", "prepare.strict=true"), (String) c[0]);
            assertTrue(stderr.contains("error: " + in + c[2]), stderr);
            assertFalse(Files.exists(Path.of(out)));
            // Without strict the same input is skipped, counted and reported, and the run succeeds.
            Path good = tmp.resolve("good.txt");
            Files.writeString(good, "a good record\n");
            assertEquals(0, run("prepare", "--set", "prepare.inputs=[{path: " + in + "}, {path: " + good + "}]",
                    "--set", "prepare.output=" + out, "--force"));
            assertTrue(stderr.contains("prepare: skipped " + in + c[2]), stderr);
        }
    }

    @Test
    void refusesToOverwriteWithoutForce() throws IOException {
        Path in = tmp.resolve("a.txt");
        Files.writeString(in, "some text\n");
        Path out = tmp.resolve("out");
        String[] args = {"prepare", "--set", "prepare.inputs=[{path: " + in + "}]", "--set", "prepare.output=" + out};
        assertEquals(0, run(args));
        String manifest = Files.readString(out.resolve("manifest.json"));
        assertEquals(1, run(args));
        assertTrue(stderr.contains("error: " + out + ": already exists; pass --force"), stderr);
        assertEquals(manifest, Files.readString(out.resolve("manifest.json")), "the old output is untouched");
        List<String> forced = new ArrayList<>(List.of(args));
        forced.add("--force");
        assertEquals(0, run(forced.toArray(String[]::new)));
    }

    @Test
    void missingInputAndBadConfigAreReported() throws IOException {
        Path missing = tmp.resolve("missing.jsonl");
        assertEquals(1, run("prepare", "--set", "prepare.inputs=[{path: " + missing + "}]", "--set", "prepare.output=" + tmp.resolve("o")));
        assertTrue(stderr.contains("error: " + missing + ": input not found"), stderr);

        assertEquals(2, run("prepare", "--set", "prepare.inputs=[{path: x}]", "--set", "prepare.val_fractoin=0.1"));
        assertTrue(stderr.contains("unknown key 'prepare.val_fractoin' (did you mean 'val_fraction'?)"), stderr);
        assertEquals(2, run("prepare", "--set", "prepare.inputs=[{path: x}]", "--set", "prepare.val_fraction=1.5"));
        assertTrue(stderr.contains("key 'prepare.val_fraction': must be in [0, 1), got 1.5"), stderr);
        assertEquals(2, run("prepare", "--set", "prepare.inputs=[{path: x, format: yaml}]"));
        assertTrue(stderr.contains("prepare.inputs[0].format"), stderr);
        assertEquals(2, run("prepare"));
        assertTrue(stderr.contains("key 'prepare.inputs': is required"), stderr);
        assertEquals(List.of(), leftInTmp());
    }

    @Test
    void preparesTheBundledCorpusInAllFourFormats() throws IOException {
        Path general = tmp.resolve("general");
        Path support = tmp.resolve("support");
        assertEquals(0, run("prepare", "--config", "configs/smoke.yaml", "--set", "prepare.output=" + general));
        assertEquals(0, run("prepare", "--config", "configs/smoke.yaml", "--section", "prepare/support",
                "--set", "prepare/support.output=" + support));

        for (Path out : List.of(general, support)) {
            Manifest manifest = Manifest.read(out, "prepare");
            JsonNode stats = manifest.stats();
            assertEquals(stats.get("records_seen").asLong(), stats.get("records_kept").asLong() + stats.get("records_dropped").asLong());
            assertEquals(0, stats.get("records_dropped").asLong(), "the bundled corpus is clean: " + stats);
            assertTrue(stats.get("splits").get("val").get("records").asLong() > 0);
            Set<String> extensions = new TreeSet<>();
            for (String file : List.of("train.jsonl", "val.jsonl")) {
                for (String line : Files.readAllLines(out.resolve(file))) {
                    Record r = Json.MAPPER.readValue(line, Record.class);
                    String path = r.source().substring(0, r.source().lastIndexOf(':'));
                    extensions.add(path.substring(path.lastIndexOf('.') + 1));
                }
            }
            assertTrue(extensions.containsAll(List.of("jsonl", "inst", "csv")), extensions.toString());
        }
        long documents = Manifest.read(general, "prepare").stats().get("splits").get("train").get("documents").asLong();
        assertTrue(documents > 500, "the prose is split into paragraphs: " + documents);
        assertEquals(0, Manifest.read(support, "prepare").stats().get("splits").get("train").get("documents").asLong(),
                "the fine-tuning set holds dialogues only");
    }

    /** An empty file, random bytes, or only an over-long line: exit 1, nothing written, the reason named. */
    @Test
    void keepingNoRecordExitsOneAndWritesNothing() throws IOException {
        byte[] random = new byte[4096];
        new java.util.Random(3).nextBytes(random);
        Object[][] cases = {
                {"empty.jsonl", new byte[0], "", "the inputs hold no record"},
                {"random.jsonl", random, "", "invalid_utf8"},
                {"long.jsonl", ("{\"text\": \"" + "x".repeat(300) + "\"}\n").getBytes(StandardCharsets.UTF_8),
                        "      max_line_bytes: 100\n", "too_long"},
        };
        for (Object[] c : cases) {
            Path in = tmp.resolve((String) c[0]);
            Files.write(in, (byte[]) c[1]);
            Path out = tmp.resolve("out");
            Path cfg = config("prepare:\n  inputs:\n    - path: " + in + "\n" + c[2] + "  output: " + out + "\n");
            assertEquals(1, run("prepare", "--config", cfg.toString()), stderr);
            assertTrue(stderr.contains("error: prepare: kept no record: ") && stderr.contains((String) c[3])
                    && stderr.contains("nothing written"), stderr);
            assertFalse(Files.exists(out), (String) c[0]);
            Files.delete(in);
            assertEquals(List.of("config.yaml", "out.lock"), leftInTmp(), "no temporary folder left, only the (free) lock file");
        }
    }

    /** A line over max_line_bytes is too_long (not malformed JSON); a long line under it is read. */
    @Test
    void overLongLinesAreCountedAsTooLongAndLongValidLinesAreRead() throws IOException {
        Path in = tmp.resolve("long.jsonl");
        String big = "y".repeat(21_000_000); // over Jackson's own 20M-character limit on a string
        Files.writeString(in, "{\"text\": \"" + "x".repeat(300) + "\"}\n{\"text\": \"short\"}\n{\"text\": \"" + big + "\"}\n");
        Path cfg = config("prepare:\n  inputs:\n    - path: " + in + "\n      max_line_bytes: 22000000\n  output: "
                + tmp.resolve("a") + "\n  val_fraction: 0\n");
        assertEquals(0, run("prepare", "--config", cfg.toString()), stderr);
        assertEquals(3, PrepareStageTestAccess.records(tmp.resolve("a/train.jsonl")).size());

        cfg = config("prepare:\n  inputs:\n    - path: " + in + "\n      max_line_bytes: 100\n  output: " + tmp.resolve("b")
                + "\n  val_fraction: 0\n");
        assertEquals(0, run("prepare", "--config", cfg.toString()), stderr);
        assertTrue(stderr.contains(in + ":1: line of 312 bytes is longer than max_line_bytes (100)"), stderr);
        assertTrue(stderr.contains(in + ":3: line of 21000012 bytes"), stderr);
        JsonNode drops = Manifest.read(tmp.resolve("b"), "prepare").stats().get("dropped_by_reason");
        assertEquals(2, drops.get("too_long").asInt(), drops.toString());
        assertEquals(List.of("short"), PrepareStageTestAccess.records(tmp.resolve("b/train.jsonl")).stream().map(Record::text).toList());
    }

    /** A lone surrogate (here from a JSON escape, with control characters kept) becomes U+FFFD; other records are untouched. */
    @Test
    void loneSurrogatesBecomeReplacementCharacters() throws IOException {
        Path in = tmp.resolve("s.jsonl");
        Files.writeString(in, "{\"text\": \"face \\ud83e x\"}\n{\"text\": \"face \ud83e\udee8 x\"}\n"
                + "{\"user\": \"a \\udc00\", \"agent\": \"b\"}\n");
        Path cfg = config("prepare:\n  inputs:\n    - path: " + in + "\n  output: " + tmp.resolve("out")
                + "\n  val_fraction: 0\n  cleaning:\n    remove_control: false\n    nfkc: false\n");
        assertEquals(0, run("prepare", "--config", cfg.toString()), stderr);
        List<Record> records = PrepareStageTestAccess.records(tmp.resolve("out/train.jsonl"));
        assertEquals("face \ufffd x", records.get(0).text());
        assertEquals("face \ud83e\udee8 x", records.get(1).text());
        assertEquals("a \ufffd", records.get(2).messages().get(0).content());
    }

    /** Reads a prepared split (as PrepareStageTest does). */
    private static final class PrepareStageTestAccess {
        static List<Record> records(Path file) throws IOException {
            List<Record> out = new ArrayList<>();
            for (String line : Files.readAllLines(file)) {
                out.add(Json.COMPACT.readValue(line, Record.class));
            }
            return out;
        }
    }
}
