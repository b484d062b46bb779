package dev.chatforge.data;

import dev.chatforge.io.Json;
import dev.chatforge.io.Manifest;
import dev.chatforge.io.Progress;
import dev.chatforge.io.StageInputException;
import dev.chatforge.io.StageOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The prepare stage: reads raw files of any supported format, cleans each record, drops bad,
 * empty, out-of-range and duplicate records, and splits the rest into {@code train.jsonl} and
 * {@code val.jsonl} with a {@code manifest.json}.
 *
 * <p>It streams: a background thread reads and parses the files, a small pool cleans and hashes
 * the records, and the calling thread filters, de-duplicates and writes them in input order
 * ({@link ReadAhead}). The queues between them are bounded, so memory stays flat whatever the
 * corpus size (only the 64-bit hashes of kept records accumulate), and the work spreads over
 * the cores. Input order is kept, so a run is reproducible byte for byte (apart from the
 * manifest's timestamps).
 */
public final class PrepareStage {
    public static final String STAGE = "prepare";
    public static final String TRAIN_FILE = "train.jsonl";
    public static final String VAL_FILE = "val.jsonl";

    /** Threads that clean batches while the reader parses and the caller writes (see ReadAhead). */
    private static final int CLEANING_THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    private PrepareStage() {}

    /** What a run did, for the CLI summary, the benchmark and tests. */
    public record Result(Path output, long seen, long train, long val, long dropped, long badInput, long bytesRead,
                         double seconds) {
        public double megabytesPerSecond() {
            return bytesRead / 1e6 / Math.max(seconds, 1e-9);
        }
    }

    /** One file to read, with the format it is read as. */
    record InputFile(Path path, RawFormat format, InputSpec spec, long bytes) {}

    /**
     * Runs the stage. Bad input fails with a {@link StageInputException} naming the file and line
     * (with {@code strict}) or is skipped and counted; an existing output is replaced only when
     * {@code force} or the config's {@code overwrite} says so. Nothing is left under the output
     * name unless the run completes.
     */
    public static Result run(PrepareConfig config, boolean force) {
        long start = System.nanoTime();
        List<InputFile> files = resolveInputs(config.inputs());
        Path output = config.output();
        RecordCleaner cleaner = new RecordCleaner(config.cleaning(), false);  // reads the block list: fails before any work

        PrepareStats stats = new PrepareStats();
        try (StageOutput out = StageOutput.folder(STAGE, output).owns(TRAIN_FILE, VAL_FILE, Manifest.FILE_NAME)
                .reads(inputsRead(config)).force(force || config.overwrite()).open()) {
            Path temp = out.path();
            List<Manifest.FileEntry> inputs = new ArrayList<>();
            List<Manifest.FileEntry> outputs = new ArrayList<>();
            process(config, files, temp, stats, inputs, outputs, cleaner);
            if (stats.train.records + stats.val.records == 0) {
                throw nothingKept(files, stats);
            }
            stats.seconds = (System.nanoTime() - start) / 1e9;
            Manifest.create(STAGE, inputs, Json.MAPPER.valueToTree(config), stats.toJson(), outputs).writeTo(temp);
            out.commit();
        }
        stats.seconds = (System.nanoTime() - start) / 1e9;
        Result result = new Result(output, stats.seen(), stats.train.records, stats.val.records, stats.droppedTotal(),
                stats.badInput(), stats.bytesRead, stats.seconds);
        long unshown = stats.badInput() - stats.firstProblems.size();
        if (unshown > 0) {
            System.err.printf(Locale.ROOT, "prepare: %d more bad records skipped but not shown (report_first: %d)%n", unshown,
                    config.reportFirst());
        }
        System.err.printf(Locale.ROOT, "prepare: %d records -> train %d, val %d; dropped %d%s; %.1f MB in %.2f s (%.1f MB/s) -> %s%n",
                result.seen(), result.train(), result.val(), result.dropped(),
                result.dropped() == 0 ? "" : " (" + stats.droppedSummary() + ")",
                result.bytesRead() / 1e6, result.seconds(), result.megabytesPerSecond(), output);
        ContentReport.printContentCounts(config.cleaning(), stats.content);
        return result;
    }

    /**
     * Runs the stage without writing anything ({@code prepare --dry-run}): the same reading,
     * cleaning, filtering and counting, then the counts and a masked sample of what redaction
     * would replace, so a user can check the settings before a real run.
     */
    public static Result dryRun(PrepareConfig config, int samples) {
        long start = System.nanoTime();
        List<InputFile> files = resolveInputs(config.inputs());
        RecordCleaner cleaner = new RecordCleaner(config.cleaning(), true);
        PrepareStats stats = new PrepareStats();
        stats.content.keepSamples(samples);
        process(config, files, null, stats, new ArrayList<>(), new ArrayList<>(), cleaner);
        stats.seconds = (System.nanoTime() - start) / 1e9;
        Result result = new Result(config.output(), stats.seen(), stats.train.records, stats.val.records, stats.droppedTotal(),
                stats.badInput(), stats.bytesRead, stats.seconds);
        ContentReport.printDryRun(config, stats);
        return result;
    }

    /** What prepare reads (the raw inputs, the block list): its output may not overlap any of them. */
    private static List<Path> inputsRead(PrepareConfig config) {
        List<Path> read = new ArrayList<>();
        config.inputs().forEach(spec -> read.add(Path.of(spec.path())));
        if (config.cleaning().blockList() != null) {
            read.add(Path.of(config.cleaning().blockList()));
        }
        return read;
    }

    /** An empty output would look like success and fail only at tokenize: say what was dropped and why. */
    private static StageInputException nothingKept(List<InputFile> files, PrepareStats stats) {
        String why = stats.seen() == 0
                ? "the inputs hold no record (" + (files.size() == 1 ? files.get(0).path() : files.size() + " files") + " read)"
                : "all " + stats.seen() + " records were dropped (" + stats.droppedSummary() + ")"
                        + (stats.firstProblems.isEmpty() ? "" : "; first: " + stats.firstProblems.get(0));
        return new StageInputException("prepare: kept no record: " + why + "; nothing written");
    }

    /** Expands folders (recursively, in name order) and checks that every input exists and has a format. */
    static List<InputFile> resolveInputs(List<InputSpec> specs) {
        List<InputFile> files = new ArrayList<>();
        for (InputSpec spec : specs) {
            Path path = Path.of(spec.path());
            if (!Files.exists(path)) {
                throw new StageInputException(path + ": input not found");
            }
            try {
                if (Files.isDirectory(path)) {
                    List<Path> inFolder;
                    try (Stream<Path> walk = Files.walk(path)) {
                        inFolder = walk.filter(Files::isRegularFile)
                                .filter(p -> !p.getFileName().toString().startsWith("."))
                                .sorted()
                                .toList();
                    }
                    int before = files.size();
                    for (Path file : inFolder) {
                        RawFormat format = spec.format() != null ? spec.format() : RawFormat.detect(file);
                        if (format == null) {
                            System.err.println("prepare: skipping " + file + " (unknown extension; give the file its own input entry with format: to read it)");
                            continue;
                        }
                        files.add(new InputFile(file, format, spec, Files.size(file)));
                    }
                    if (files.size() == before) {
                        throw new StageInputException(path + ": folder has no .txt, .jsonl, .json, .inst or .csv files");
                    }
                } else {
                    RawFormat format = spec.format() != null ? spec.format() : RawFormat.detect(path);
                    if (format == null) {
                        throw new StageInputException(path + ": cannot tell the format from the file name; set format: to one of text, jsonl, inst, csv");
                    }
                    files.add(new InputFile(path, format, spec, Files.size(path)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + path + ": " + dev.chatforge.io.IoErrors.reason(e), e);
            }
        }
        return files;
    }

    /** Reads, cleans, filters and writes into {@code dir}; a null {@code dir} writes nothing (the dry run). */
    private static void process(PrepareConfig config, List<InputFile> files, Path dir, PrepareStats stats,
                                List<Manifest.FileEntry> inputs, List<Manifest.FileEntry> outputs, RecordCleaner cleaner) {
        long totalBytes = files.stream().mapToLong(InputFile::bytes).sum();
        Split split = new Split(config.valFraction(), config.seed());
        SeenHashes seen = new SeenHashes();
        try (ReadAhead batches = new ReadAhead(files, cleaner, CLEANING_THREADS);
             Progress progress = new Progress(STAGE, totalBytes, "B");
             RecordWriter train = dir == null ? RecordWriter.discarding() : new RecordWriter(dir.resolve(TRAIN_FILE));
             RecordWriter val = dir == null ? RecordWriter.discarding() : new RecordWriter(dir.resolve(VAL_FILE))) {
            for (List<Object> batch; (batch = batches.next()) != null; ) {
                for (Object item : batch) {
                    if (item instanceof Problem problem) {
                        reportProblem(problem, config, stats);
                    } else if (item instanceof ReadAhead.FileDone done) {
                        stats.fileDone(done.path());
                    } else {
                        ReadAhead.Cleaned cleaned = (ReadAhead.Cleaned) item;
                        if (cleaned.filtered() != null) {
                            stats.drop(cleaned.filtered());
                        } else if (keepOrDrop(cleaned.record(), cleaned.hash(), split, seen, config, stats, train, val)
                                && cleaned.tally() != null) {
                            stats.content.add(cleaned.tally(), cleaned.record().source());
                        }
                    }
                }
                progress.update(batches.bytesRead());
            }
            if (dir != null) {
                outputs.add(train.finish());
                outputs.add(val.finish());
            }
            stats.bytesRead = batches.bytesRead();
            inputs.addAll(batches.inputEntries());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("prepare was interrupted", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir + ": " + dev.chatforge.io.IoErrors.reason(e), e);
        }
    }

    private static void reportProblem(Problem problem, PrepareConfig config, PrepareStats stats) {
        if (config.strict()) {
            throw new StageInputException(problem.message() + " (strict: true stops at the first bad record)");
        }
        stats.drop(problem.reason());
        if (stats.firstProblems.size() < config.reportFirst()) {
            stats.firstProblems.add(problem.message());
            System.err.println("prepare: skipped " + problem.message());
        }
    }

    /** Filters, de-duplicates and writes one cleaned record to its split; whether it was kept. */
    private static boolean keepOrDrop(Record record, long hash, Split split, SeenHashes seen, PrepareConfig config,
                                   PrepareStats stats, RecordWriter train, RecordWriter val) throws IOException {
        long length = 0;
        boolean empty;
        if (record.isConversation()) {
            empty = record.messages().isEmpty();
            for (Turn t : record.messages()) {
                length += t.content().length();
                empty |= t.content().isEmpty();
            }
        } else {
            length = record.text().length();
            empty = length == 0;
        }
        if (empty) {
            stats.drop(DropReason.EMPTY);
            return false;
        }
        if (length < config.minChars()) {
            stats.drop(DropReason.TOO_SHORT);
            return false;
        }
        if (config.maxChars() > 0 && length > config.maxChars()) {
            stats.drop(DropReason.TOO_LONG);
            return false;
        }
        if (config.dedup() && !seen.add(hash)) {
            stats.drop(DropReason.DUPLICATE);
            return false;
        }
        Record out = new Record(ContentHash.hex(hash), record.source(), record.text(), record.messages());
        if (split.isValidation(hash)) {
            val.write(out);
            stats.val.add(out, length);
        } else {
            train.write(out);
            stats.train.add(out, length);
        }
        return true;
    }
}
