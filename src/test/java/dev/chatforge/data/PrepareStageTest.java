package dev.chatforge.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.io.Hashing;
import dev.chatforge.io.Json;
import dev.chatforge.io.Manifest;
import dev.chatforge.io.RunLock;
import dev.chatforge.io.RunLockHolder;
import dev.chatforge.io.StageInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrepareStageTest {
    @TempDir
    Path tmp;

    static List<Record> readRecords(Path file) throws IOException {
        List<Record> records = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            records.add(Json.MAPPER.readValue(line, Record.class));
        }
        return records;
    }

    /** Checks that the manifest's counts add up and its hashes describe the files; returns its stats. */
    static JsonNode checkManifest(Path out) throws IOException {
        Manifest manifest = Manifest.read(out, "prepare");
        JsonNode stats = manifest.stats();
        long droppedSum = 0;
        for (JsonNode n : stats.get("dropped_by_reason")) {
            droppedSum += n.asLong();
        }
        long train = stats.get("splits").get("train").get("records").asLong();
        long val = stats.get("splits").get("val").get("records").asLong();
        assertEquals(stats.get("records_dropped").asLong(), droppedSum, "dropped = sum of reasons");
        assertEquals(stats.get("records_kept").asLong(), train + val, "kept = train + val");
        assertEquals(stats.get("records_seen").asLong(), train + val + droppedSum, "seen = kept + dropped");
        for (JsonNode split : stats.get("splits")) {
            assertEquals(split.get("records").asLong(), split.get("documents").asLong() + split.get("conversations").asLong());
        }
        long seenByInput = 0;
        long keptByInput = 0;
        for (JsonNode input : stats.get("by_input")) {
            seenByInput += input.get("records_seen").asLong();
            keptByInput += input.get("records_kept").asLong();
        }
        assertEquals(stats.get("records_seen").asLong(), seenByInput, "by_input adds up to records_seen");
        assertEquals(train + val, keptByInput, "by_input adds up to records_kept");
        assertEquals(manifest.inputs().size(), stats.get("by_input").size());
        assertEquals(train, Files.readAllLines(out.resolve("train.jsonl")).size());
        assertEquals(val, Files.readAllLines(out.resolve("val.jsonl")).size());
        assertEquals(List.of("train.jsonl", "val.jsonl"), manifest.outputs().stream().map(Manifest.FileEntry::path).toList());
        for (Manifest.FileEntry entry : manifest.outputs()) {
            Path file = out.resolve(entry.path());
            assertEquals(Files.size(file), entry.bytes());
            assertEquals(Hashing.sha256(file), entry.sha256());
        }
        for (Manifest.FileEntry entry : manifest.inputs()) {
            assertEquals(Files.size(Path.of(entry.path())), entry.bytes());
            assertEquals(Hashing.sha256(Path.of(entry.path())), entry.sha256());
        }
        return stats;
    }

    private Path write(String name, String content) throws IOException {
        Path file = tmp.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
        return file;
    }

    private Path writeAllFormats() throws IOException {
        write("raw/a.txt", "First  document,\nwrapped.\n\nSecond document.\n\nFirst  document,\nwrapped.\n");
        write("raw/b.jsonl", "{\"user\": \"Hi\", \"agent\": \"Hello!\"}\n"
                + "{\"messages\": [{\"role\": \"user\", \"content\": \"Q\"}, {\"role\": \"assistant\", \"content\": \"A\"}]}\n"
                + "{\"user\": \"Hi\", \"agent\": \"Hello!  \"}\n");
        write("raw/c.inst", "[INST] Where? [/INST] Here.\n[INST] When? [/INST] Now.\n\n[INST] Why? [/INST] Because.\n");
        write("raw/d.csv", "user,agent\n\"multi\nline\",\"reply, with comma\"\n");
        write("raw/notes.md", "not data");
        return tmp.resolve("raw");
    }

    @Test
    void turnsAllFourFormatsIntoSplitsAndAManifestThatAddsUp() throws IOException {
        Path raw = writeAllFormats();
        Path out = tmp.resolve("prepared");
        PrepareStage.Result result = PrepareStage.run(PrepareConfig.of(out, InputSpec.of(raw.toString())), false);

        List<Record> all = new ArrayList<>(readRecords(out.resolve("train.jsonl")));
        all.addAll(readRecords(out.resolve("val.jsonl")));
        assertEquals(7, all.size(), "text 3 - 1 duplicate, JSONL 3 - 1 duplicate after cleaning, [INST] 2, CSV 1");
        assertEquals(2, result.dropped());
        for (Record r : all) {
            assertEquals(ContentHash.hex(ContentHash.of(r)), r.id(), "the id is the content hash");
        }
        List<String> sources = all.stream().map(Record::source).toList();
        assertTrue(sources.contains(raw.resolve("a.txt") + ":4"), sources.toString());
        assertTrue(sources.contains(raw.resolve("c.inst") + ":4"), sources.toString());
        assertTrue(sources.contains(raw.resolve("d.csv") + ":2"), sources.toString());
        assertTrue(all.stream().anyMatch(r -> "First document,\nwrapped.".equals(r.text())), "cleaned text is written");

        JsonNode stats = checkManifest(out);
        assertEquals(2, stats.get("dropped_by_reason").get("duplicate").asLong());
        JsonNode text = stats.get("by_input").get(0);
        assertEquals(raw.resolve("a.txt").toString(), text.get("path").asText());
        assertEquals(3, text.get("records_seen").asLong());
        assertEquals(2, text.get("records_kept").asLong(), "its third document is a duplicate");
        Manifest manifest = Manifest.read(out, "prepare");
        assertEquals(4, manifest.inputs().size(), "notes.md has no known extension and is skipped");
        assertEquals(0.05, manifest.config().get("val_fraction").asDouble());
        assertFalse(Files.list(tmp).anyMatch(p -> p.getFileName().toString().contains(".tmp-")), "no temporary folder left");
    }

    @Test
    void writesRecordsExactlyAsTheSharedMapperWould() throws IOException {
        Path file = tmp.resolve("x.jsonl");
        Record doc = Record.document("00ff", "a.txt:1", "quote \" backslash \\ tab\t é 😀 \u2028");
        Record conv = Record.conversation("01", "b:2", List.of(new Turn(Role.SYSTEM, "s"), new Turn(Role.USER, "u"),
                new Turn(Role.AGENT, "a")));
        try (RecordWriter writer = new RecordWriter(file)) {
            writer.write(doc);
            writer.write(conv);
            Manifest.FileEntry entry = writer.finish();
            assertEquals(Hashing.sha256(file), entry.sha256());
        }
        assertEquals(List.of(Json.COMPACT.writeValueAsString(doc), Json.COMPACT.writeValueAsString(conv)), Files.readAllLines(file));
        assertEquals(List.of(doc, conv), readRecords(file));
    }

    @Test
    void badRecordsAreSkippedCountedPerReasonAndTheFirstFewReported() throws IOException {
        Path in = write("bad.jsonl", """
                {"user": "ok", "agent": "fine"}
                {"user": "broken"
                {"user": "no agent"}
                {"messages": [{"role": "robot", "content": "x"}]}
                {"user": "  ", "agent": "whitespace only user turn"}
                {"user": "also broken
                """);
        Path out = tmp.resolve("out");
        PrepareConfig config = PrepareConfig.of(out, InputSpec.of(in.toString()));
        config = new PrepareConfig(config.inputs(), out, false, false, 2, config.cleaning(), 1, 0, true, 0.0, 1);
        PrepareStage.Result result = PrepareStage.run(config, false);
        assertEquals(1, result.train());
        assertEquals(4, result.badInput());
        JsonNode stats = checkManifest(out);
        JsonNode reasons = stats.get("dropped_by_reason");
        assertEquals(2, reasons.get("malformed_json").asLong());
        assertEquals(1, reasons.get("missing_field").asLong());
        assertEquals(1, reasons.get("unknown_role").asLong());
        assertEquals(1, reasons.get("empty").asLong());
        List<String> first = new ArrayList<>();
        stats.get("first_problems").forEach(n -> first.add(n.asText()));
        assertEquals(2, first.size(), "report_first: 2");
        assertTrue(first.get(0).startsWith(in + ":2: malformed JSON"), first.get(0));
        assertEquals(in + ":3: has 'user' but no 'agent'", first.get(1));
    }

    @Test
    void strictStopsAtTheFirstBadRecordAndLeavesNoOutput() throws IOException {
        Path in = write("bad.inst", "[INST] a [/INST] b\n\n[INST] never closed\n");
        Path out = tmp.resolve("out");
        StageInputException e = assertThrows(StageInputException.class,
                () -> PrepareStage.run(PrepareConfig.of(out, InputSpec.of(in.toString())).withStrict(true), false));
        assertTrue(e.getMessage().startsWith(in + ":3: [INST] without a matching [/INST]"), e.getMessage());
        assertFalse(Files.exists(out));
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(in, tmp.resolve("out.lock")), left.sorted().toList(),
                    "no temporary folder left behind, only the (free) lock file");
        }
        assertEquals("", Files.readString(tmp.resolve("out.lock")));
    }

    @Test
    void aMissingInputIsAnErrorNamingIt() {
        Path missing = tmp.resolve("nope.jsonl");
        StageInputException e = assertThrows(StageInputException.class,
                () -> PrepareStage.run(PrepareConfig.of(tmp.resolve("out"), InputSpec.of(missing.toString())), false));
        assertEquals(missing + ": input not found", e.getMessage());
    }

    @Test
    void aCsvHeaderWithoutTheConfiguredColumnsFailsEvenWithoutStrict() throws IOException {
        Path in = write("big/tickets.csv", "question,answer\nq,a\n");
        write("big/a.txt", "x\n".repeat(10));
        Path out = tmp.resolve("out");
        StageInputException e = assertThrows(StageInputException.class,
                () -> PrepareStage.run(PrepareConfig.of(out, InputSpec.of(tmp.resolve("big").toString())), false));
        assertTrue(e.getMessage().startsWith(in + ":1: the CSV header has no column 'user'"), e.getMessage());
        assertFalse(Files.exists(out));

        PrepareStage.Result ok = PrepareStage.run(PrepareConfig.of(out,
                new InputSpec(in.toString(), null, "question", "answer", null)), false);
        assertEquals(1, ok.train() + ok.val());
    }

    @Test
    void aFolderWithoutDataFilesIsAnError() throws IOException {
        write("empty/README.md", "nothing here");
        StageInputException e = assertThrows(StageInputException.class,
                () -> PrepareStage.run(PrepareConfig.of(tmp.resolve("out"), InputSpec.of(tmp.resolve("empty").toString())), false));
        assertEquals(tmp.resolve("empty") + ": folder has no .txt, .jsonl, .json, .inst or .csv files", e.getMessage());
    }

    @Test
    void recordsComeOutInInputOrderAcrossManyBatchesAndFiles() throws IOException {
        StringBuilder lines = new StringBuilder();
        for (int i = 1; i <= 6000; i++) {
            lines.append("{\"user\": \"question ").append(i).append("\", \"agent\": \"answer ").append(i).append("\"}\n");
        }
        Path first = write("first.jsonl", lines.toString());
        Path second = write("second.jsonl", lines.toString().replace("question", "other question"));
        Path out = tmp.resolve("out");
        PrepareStage.run(PrepareConfig.of(out, InputSpec.of(first.toString()), InputSpec.of(second.toString())).withSplit(0, 1), false);
        List<Record> records = readRecords(out.resolve("train.jsonl"));
        assertEquals(12000, records.size());
        for (int i = 0; i < 12000; i++) {
            Path file = i < 6000 ? first : second;
            assertEquals(file + ":" + (i % 6000 + 1), records.get(i).source());
        }
    }

    @Test
    void formatsAreDetectedByExtension() {
        assertEquals(RawFormat.TEXT, RawFormat.detect(Path.of("a/Book.TXT")));
        assertEquals(RawFormat.INST, RawFormat.detect(Path.of("chats.inst.txt")));
        assertEquals(RawFormat.INST, RawFormat.detect(Path.of("chats.inst")));
        assertEquals(RawFormat.JSONL, RawFormat.detect(Path.of("x.json")));
        assertEquals(RawFormat.JSONL, RawFormat.detect(Path.of("x.ndjson")));
        assertEquals(RawFormat.CSV, RawFormat.detect(Path.of("x.csv")));
        assertEquals(null, RawFormat.detect(Path.of("x.parquet")));
        assertEquals(RawFormat.CSV, RawFormat.parse(" CSV "));
    }

    @Test
    void anUnknownExtensionNeedsAFormat() throws IOException {
        Path in = write("dialogues.dat", "{\"user\": \"u\", \"agent\": \"a\"}\n");
        StageInputException e = assertThrows(StageInputException.class,
                () -> PrepareStage.run(PrepareConfig.of(tmp.resolve("out"), InputSpec.of(in.toString())), false));
        assertTrue(e.getMessage().startsWith(in + ": cannot tell the format"), e.getMessage());
        PrepareStage.Result result = PrepareStage.run(PrepareConfig.of(tmp.resolve("out"), InputSpec.of(in.toString(), RawFormat.JSONL)), false);
        assertEquals(1, result.train() + result.val());
    }

    @Test
    void refusesToReplaceAnExistingOutputUnlessForced() throws IOException {
        Path in = write("a.txt", "one\n\ntwo\n");
        Path out = tmp.resolve("out");
        PrepareConfig config = PrepareConfig.of(out, InputSpec.of(in.toString()));
        PrepareStage.run(config, false);
        String before = Files.readString(out.resolve("manifest.json"));
        StageInputException e = assertThrows(StageInputException.class, () -> PrepareStage.run(config, false));
        assertEquals(out + ": already exists; pass --force (or set overwrite: true) to replace it", e.getMessage());
        assertEquals(before, Files.readString(out.resolve("manifest.json")));

        PrepareStage.run(config, true);
        assertNotEquals(before, Files.readString(out.resolve("manifest.json")), "replaced (a new created_at)");
        PrepareConfig overwriting = new PrepareConfig(config.inputs(), out, true, false, 5, config.cleaning(), 1, 0, true, 0.05, 1);
        PrepareStage.run(overwriting, false);
    }

    /** Issue 19: `prepare --force` into a folder emptied it, a user's files with it. */
    @Test
    void forceNeverDeletesAFilePrepareDidNotWrite() throws IOException {
        Path in = write("a.txt", "one\n\ntwo\n");
        Path out = tmp.resolve("out");
        PrepareConfig config = PrepareConfig.of(out, InputSpec.of(in.toString()));
        PrepareStage.run(config, false);
        Files.writeString(out.resolve("notes.txt"), "mine");
        String before = Files.readString(out.resolve("train.jsonl"));
        StageInputException e = assertThrows(StageInputException.class, () -> PrepareStage.run(config, true));
        assertTrue(e.getMessage().startsWith(out + ": holds notes.txt, which prepare did not write"), e.getMessage());
        assertEquals("mine", Files.readString(out.resolve("notes.txt")));
        assertEquals(before, Files.readString(out.resolve("train.jsonl")));
    }

    /** Issue 19: `output: $T/r1` with `inputs: [{path: $T/r1/raw}]` and --force deleted the raw data. */
    @Test
    void anOutputThatIsOrHoldsAnInputIsRefusedEvenWithForce() throws IOException {
        String pairs = "{\"user\": \"Hi\", \"agent\": \"Hello!\"}\n";
        Path raw = write("r1/raw/pairs.jsonl", pairs).getParent();
        for (Path output : List.of(tmp.resolve("r1"), raw)) {
            PrepareConfig config = PrepareConfig.of(output, InputSpec.of(raw.toString()));
            StageInputException e = assertThrows(StageInputException.class, () -> PrepareStage.run(config, true));
            assertEquals(output + ": the output " + (output.equals(raw) ? "is " : "contains ") + raw + ", which prepare reads; "
                    + "choose another output (--force does not change this)", e.getMessage());
            assertEquals(pairs, Files.readString(raw.resolve("pairs.jsonl")));
        }
    }

    /** Issue 19: an output inside an input folder was read back as input by the next run. */
    @Test
    void anOutputInsideAnInputFolderIsRefusedSoNoRunReadsItsOwnOutput() throws IOException {
        Path raw = write("raw/a.txt", "one document\n\nanother document\n").getParent();
        Path output = raw.resolve("prepared");
        PrepareConfig config = PrepareConfig.of(output, InputSpec.of(raw.toString()));
        StageInputException e = assertThrows(StageInputException.class, () -> PrepareStage.run(config, false));
        assertTrue(e.getMessage().startsWith(output + ": the output lies inside " + raw), e.getMessage());
        assertFalse(Files.exists(output));
    }

    /** Issue 19: prepare took no lock; two --force runs into one output both reported success. */
    @Test
    void aSecondPrepareIntoAnOutputInUseIsRefusedAndAKilledOnesLockTakenOver() throws Exception {
        Path in = write("a.txt", "one\n\ntwo\n");
        Path out = tmp.resolve("out");
        PrepareConfig config = PrepareConfig.of(out, InputSpec.of(in.toString()));
        Process holder = RunLockHolder.start(out);
        try {
            StageInputException e = assertThrows(StageInputException.class, () -> PrepareStage.run(config, true));
            assertTrue(e.getMessage().startsWith(out + ": in use by another run (pid " + holder.pid()), e.getMessage());
            assertFalse(Files.exists(out), "the second run wrote nothing");
            holder.destroyForcibly().waitFor();
            PrepareStage.run(config, true);
            assertTrue(Files.exists(out.resolve("manifest.json")));
            assertEquals("", Files.readString(RunLock.fileOf(out)), "released at the end");
        } finally {
            holder.destroyForcibly();
        }
    }

    /** Issue 19: a killed prepare left {@code <output>.tmp-*} folders that nothing removed. */
    @Test
    void whatAKilledPrepareLeftBesideItsOutputIsRemoved() throws IOException {
        Path in = write("a.txt", "one\n\ntwo\n");
        write("out.tmp-8012345678/train.jsonl", "{\"id\": \"half");
        write("out.tmp-4242-99", "a half-written file");
        write("out.tmp-notes.txt", "a user's file that only looks like a leftover");
        PrepareStage.run(PrepareConfig.of(tmp.resolve("out"), InputSpec.of(in.toString())), false);
        try (Stream<Path> beside = Files.list(tmp)) {
            assertEquals(List.of("out", "out.lock", "out.tmp-notes.txt"),
                    beside.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("out")).sorted().toList());
        }
    }

    @Test
    void addingDataNeverMovesOldRecordsBetweenSplits() throws IOException {
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            first.append("document number ").append(i).append("\n\n");
        }
        Path a = write("a.txt", first.toString());
        Path outA = tmp.resolve("outA");
        PrepareStage.run(PrepareConfig.of(outA, InputSpec.of(a.toString())).withSplit(0.2, 7), false);
        Map<String, String> before = splitsById(outA);

        StringBuilder more = new StringBuilder();
        for (int i = 0; i < 600; i++) {
            more.append("a new document ").append(i).append("\n\n");
        }
        Path b = write("b.txt", more.toString());
        Path c = write("c.txt", more + first.toString());  // old records again, later and at other lines
        Path outB = tmp.resolve("outB");
        PrepareStage.run(PrepareConfig.of(outB, InputSpec.of(b.toString()), InputSpec.of(a.toString()), InputSpec.of(c.toString()))
                .withSplit(0.2, 7), false);
        Map<String, String> after = splitsById(outB);

        assertEquals(400, before.size());
        assertEquals(1000, after.size());
        before.forEach((id, split) -> assertEquals(split, after.get(id), "record " + id));
        long inVal = before.values().stream().filter("val"::equals).count();
        assertTrue(inVal > 40 && inVal < 120, "about 20% in val: " + inVal);

        Path outAgain = tmp.resolve("outAgain");
        PrepareStage.run(PrepareConfig.of(outAgain, InputSpec.of(a.toString())).withSplit(0.2, 7), false);
        assertEquals(Files.readString(outA.resolve("train.jsonl")), Files.readString(outAgain.resolve("train.jsonl")),
                "the same input gives the same bytes");
    }

    private static Map<String, String> splitsById(Path out) throws IOException {
        Map<String, String> splits = new HashMap<>();
        readRecords(out.resolve("train.jsonl")).forEach(r -> splits.put(r.id(), "train"));
        readRecords(out.resolve("val.jsonl")).forEach(r -> assertEquals(null, splits.put(r.id(), "val")));
        return splits;
    }

    @Test
    void lengthLimitsAndDedupAreSwitchable() throws IOException {
        Path in = write("a.txt", "tiny\n\na medium document\n\n" + "long ".repeat(50) + "\n\na medium document\n");
        Path out = tmp.resolve("out");
        PrepareStage.Result limited = PrepareStage.run(PrepareConfig.of(out, InputSpec.of(in.toString())).withLengths(5, 100), false);
        JsonNode reasons = checkManifest(out).get("dropped_by_reason");
        assertEquals(1, limited.train() + limited.val());
        assertEquals(1, reasons.get("too_short").asLong());
        assertEquals(1, reasons.get("too_long").asLong());
        assertEquals(1, reasons.get("duplicate").asLong());

        PrepareStage.Result all = PrepareStage.run(PrepareConfig.of(out, InputSpec.of(in.toString())).withDedup(false), true);
        assertEquals(4, all.train() + all.val());
        assertEquals(0, all.dropped());
    }

    @Test
    void cleaningConfigReachesTheOutput() throws IOException {
        Path in = write("a.jsonl", "{\"text\": \"<p>Caf\\u00e9 &amp; ＢＡＲ</p>\"}\n");
        Path out = tmp.resolve("out");
        PrepareStage.run(PrepareConfig.of(out, InputSpec.of(in.toString()))
                .withCleaning(new CleaningConfig(true, true, true, "", true, true)).withSplit(0, 1), false);
        assertEquals("café & bar", readRecords(out.resolve("train.jsonl")).get(0).text());
        PrepareStage.run(PrepareConfig.of(out, InputSpec.of(in.toString())).withCleaning(CleaningConfig.none()).withSplit(0, 1), true);
        assertNotEquals("café & bar", readRecords(out.resolve("train.jsonl")).get(0).text());
    }
}
