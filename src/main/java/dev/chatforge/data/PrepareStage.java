package dev.chatforge.data;

import dev.chatforge.io.AtomicFiles;
import dev.chatforge.io.Hashing;
import dev.chatforge.io.Json;
import dev.chatforge.io.Manifest;
import dev.chatforge.io.Progress;
import dev.chatforge.io.StageInputException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The prepare stage: reads raw files of any supported format, cleans each record, drops bad,
 * empty, out-of-range and duplicate records, and splits the rest into {@code train.jsonl} and
 * {@code val.jsonl} with a {@code manifest.json}.
 *
 * <p>It streams: one thread reads, parses and cleans the files while the calling thread
 * filters, de-duplicates, hashes and writes, connected by a small bounded queue of batches, so
 * memory stays flat whatever the corpus size (only the 64-bit hashes of kept records
 * accumulate) and the two halves of the work, about equal in cost, overlap on two cores. Records come out in input order, so a run is
 * reproducible byte for byte (apart from the manifest's timestamp).
 */
public final class PrepareStage {
    public static final String STAGE = "prepare";
    public static final String TRAIN_FILE = "train.jsonl";
    public static final String VAL_FILE = "val.jsonl";

    private static final int BATCH_SIZE = 512;

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
        boolean overwrite = force || config.overwrite();
        Path output = config.output();
        if (Files.exists(output) && !overwrite) {  // before any work, with a message for the user
            throw new StageInputException(output + ": already exists; pass --force (or set overwrite: true) to replace it");
        }

        Path temp = AtomicFiles.newTempDirectory(output);
        PrepareStats stats = new PrepareStats();
        try {
            List<Manifest.FileEntry> inputs = new ArrayList<>();
            List<Manifest.FileEntry> outputs = new ArrayList<>();
            process(config, files, temp, stats, inputs, outputs);
            stats.seconds = (System.nanoTime() - start) / 1e9;
            Manifest.create(STAGE, inputs, Json.MAPPER.valueToTree(config), stats.toJson(), outputs).writeTo(temp);
            AtomicFiles.publishDirectory(temp, output, overwrite);
        } catch (RuntimeException | Error e) {
            AtomicFiles.deleteQuietly(temp);
            throw e;
        }
        stats.seconds = (System.nanoTime() - start) / 1e9;
        Result result = new Result(output, stats.seen(), stats.train.records, stats.val.records, stats.droppedTotal(),
                stats.badInput(), stats.bytesRead, stats.seconds);
        System.err.printf(Locale.ROOT, "prepare: %d records -> train %d, val %d; dropped %d%s; %.1f MB in %.2f s (%.1f MB/s) -> %s%n",
                result.seen(), result.train(), result.val(), result.dropped(),
                result.dropped() == 0 ? "" : " (" + stats.droppedSummary() + ")",
                result.bytesRead() / 1e6, result.seconds(), result.megabytesPerSecond(), output);
        return result;
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
                throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
            }
        }
        return files;
    }

    /** A run of items (records and problems) handed from the reader thread to the writer, or the end. */
    private record Batch(List<Object> items, Throwable failure, boolean end) {}

    private static void process(PrepareConfig config, List<InputFile> files, Path dir, PrepareStats stats,
                                List<Manifest.FileEntry> inputs, List<Manifest.FileEntry> outputs) {
        BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(16);
        AtomicLong bytesRead = new AtomicLong();
        long totalBytes = files.stream().mapToLong(InputFile::bytes).sum();
        List<Manifest.FileEntry> readEntries = new ArrayList<>();
        TextCleaner cleaner = new TextCleaner(config.cleaning());
        Thread reader = new Thread(() -> readAll(files, cleaner, queue, bytesRead, readEntries), "prepare-reader");
        reader.setDaemon(true);
        reader.start();

        Split split = new Split(config.valFraction(), config.seed());
        SeenHashes seen = new SeenHashes();
        boolean finished = false;
        try (Progress progress = new Progress(STAGE, totalBytes, "B");
             RecordWriter train = new RecordWriter(dir.resolve(TRAIN_FILE));
             RecordWriter val = new RecordWriter(dir.resolve(VAL_FILE))) {
            while (true) {
                Batch batch = queue.take();
                if (batch.failure() != null) {
                    throw batch.failure();
                }
                if (batch.end()) {
                    break;
                }
                for (Object item : batch.items()) {
                    if (item instanceof Problem problem) {
                        reportProblem(problem, config, stats);
                    } else {
                        keepOrDrop((Record) item, split, seen, config, stats, train, val);
                    }
                }
                progress.update(bytesRead.get());
            }
            outputs.add(train.finish());
            outputs.add(val.finish());
            progress.update(bytesRead.get());
            finished = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("prepare was interrupted", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        } finally {
            if (!finished) {
                reader.interrupt();
            }
            try {
                reader.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stats.bytesRead = bytesRead.get();
        inputs.addAll(readEntries);
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

    /** Filters, de-duplicates and writes one cleaned record to its split. */
    private static void keepOrDrop(Record record, Split split, SeenHashes seen, PrepareConfig config,
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
            return;
        }
        if (length < config.minChars()) {
            stats.drop(DropReason.TOO_SHORT);
            return;
        }
        if (config.maxChars() > 0 && length > config.maxChars()) {
            stats.drop(DropReason.TOO_LONG);
            return;
        }
        long hash = ContentHash.of(record);
        if (config.dedup() && !seen.add(hash)) {
            stats.drop(DropReason.DUPLICATE);
            return;
        }
        Record out = new Record(ContentHash.hex(hash), record.source(), record.text(), record.messages());
        if (split.isValidation(hash)) {
            val.write(out);
            stats.val.add(out, length);
        } else {
            train.write(out);
            stats.train.add(out, length);
        }
    }

    /**
     * The reader thread: parses and cleans every file in order into batches; ends with an end
     * marker or a failure. Cleaning is here rather than in the writer to balance the two threads.
     */
    private static void readAll(List<InputFile> files, TextCleaner cleaner, BlockingQueue<Batch> queue, AtomicLong bytesRead,
                                List<Manifest.FileEntry> entries) {
        try {
            BatchingSink sink = new BatchingSink(queue, cleaner);
            for (InputFile file : files) {
                MessageDigest digest = Hashing.newSha256();
                try (InputStream in = new TrackedInput(Files.newInputStream(file.path()), digest, bytesRead)) {
                    RawReader.of(file.format(), file.spec()).read(in, file.path().toString(), sink);
                    in.transferTo(java.io.OutputStream.nullOutputStream());  // hash any tail a reader left unread
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + file.path() + ": " + e.getMessage(), e);
                }
                entries.add(new Manifest.FileEntry(file.path().toString(), file.bytes(), HexFormat.of().formatHex(digest.digest())));
            }
            sink.flush();
            queue.put(new Batch(null, null, true));
        } catch (InterruptedException | BatchingSink.Interrupted e) {
            // the writer stopped (failure or strict mode); nothing more to do
        } catch (Throwable e) {
            try {
                queue.put(new Batch(null, e, false));
            } catch (InterruptedException ignored) {
                // the writer is gone already
            }
        }
    }

    /** Cleans what readers find and collects it into batches for the queue. */
    private static final class BatchingSink implements RecordSink {
        /** Unchecked, so readers need not know about the queue. */
        static final class Interrupted extends RuntimeException {
            Interrupted() {
                super(null, null, false, false);
            }
        }

        private final BlockingQueue<Batch> queue;
        private final TextCleaner cleaner;
        private List<Object> items = new ArrayList<>(BATCH_SIZE);

        BatchingSink(BlockingQueue<Batch> queue, TextCleaner cleaner) {
            this.queue = queue;
            this.cleaner = cleaner;
        }

        @Override
        public void record(Record raw) {
            add(cleaner.clean(raw));
        }

        @Override
        public void problem(Problem problem) {
            add(problem);
        }

        private void add(Object item) {
            items.add(item);
            if (items.size() >= BATCH_SIZE) {
                flush();
            }
        }

        void flush() {
            if (items.isEmpty()) {
                return;
            }
            try {
                queue.put(new Batch(items, null, false));
            } catch (InterruptedException e) {
                throw new Interrupted();
            }
            items = new ArrayList<>(BATCH_SIZE);
        }
    }

    /** Hashes and counts the bytes as a reader pulls them. */
    private static final class TrackedInput extends FilterInputStream {
        private final MessageDigest digest;
        private final AtomicLong counter;

        TrackedInput(InputStream in, MessageDigest digest, AtomicLong counter) {
            super(in);
            this.digest = digest;
            this.counter = counter;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                digest.update((byte) b);
                counter.incrementAndGet();
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0) {
                digest.update(buf, off, n);
                counter.addAndGet(n);
            }
            return n;
        }
    }
}
