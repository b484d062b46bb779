package dev.chatforge.data;

import dev.chatforge.io.Hashing;
import dev.chatforge.io.Manifest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads the input files on a background thread and cleans (and hashes) their records on a small
 * pool, handing batches to the caller in input order: an ordered parallel map. The queue between them is
 * bounded, so memory stays flat however large the input; reading, cleaning and the caller's
 * writing overlap on every core there is.
 *
 * <p>The reader hashes every byte it reads (SHA-256 for the manifest) and counts them (for the
 * progress bar).
 */
final class ReadAhead implements AutoCloseable {
    private static final int BATCH_SIZE = 512;
    private static final int BATCHES_AHEAD = 16;

    /**
     * A cleaned record with its content hash, computed on the pool too (it reads every char); or
     * the reason a content filter dropped it ({@code filtered}, hash 0). {@code tally}: what
     * masking and redaction did, null when nothing.
     */
    record Cleaned(Record record, long hash, DropReason filtered, CleaningTally tally) {}

    /** Marks the end of one input file in the stream of items, so the caller can count per file. */
    record FileDone(String path) {}

    /** What readers produced, in order: {@link Cleaned} records and problems; or the end; or a failure. */
    private record Batch(List<Object> items, Throwable failure) {
        static final Batch END = new Batch(null, null);
    }

    private final BlockingQueue<Future<Batch>> queue = new ArrayBlockingQueue<>(BATCHES_AHEAD);
    private final ExecutorService cleaners;
    private final Thread reader;
    private final AtomicLong bytesRead = new AtomicLong();
    private final List<Manifest.FileEntry> inputEntries = new ArrayList<>();
    private boolean ended;

    ReadAhead(List<PrepareStage.InputFile> files, RecordCleaner cleaner, int cleaningThreads) {
        AtomicInteger threadNumber = new AtomicInteger();
        cleaners = Executors.newFixedThreadPool(cleaningThreads, task -> {
            Thread t = new Thread(task, "prepare-clean-" + threadNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        reader = new Thread(() -> readAll(files, cleaner), "prepare-read");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * The next batch, in input order: {@link Cleaned} records, {@link Problem}s and a
     * {@link FileDone} after each file; or null after the last.
     */
    List<Object> next() throws InterruptedException {
        if (ended) {
            return null;
        }
        Batch batch;
        try {
            batch = queue.take().get();
        } catch (ExecutionException e) {
            batch = new Batch(null, e.getCause());
        }
        if (batch.failure() != null) {
            ended = true;
            Throwable failure = batch.failure();
            if (failure instanceof RuntimeException r) {
                throw r;
            }
            if (failure instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(failure);
        }
        if (batch == Batch.END) {
            ended = true;
            return null;
        }
        return batch.items();
    }

    long bytesRead() {
        return bytesRead.get();
    }

    /** Size and SHA-256 of each input, complete once {@link #next()} has returned null. */
    List<Manifest.FileEntry> inputEntries() {
        return inputEntries;
    }

    /** Stops the threads (early, when the caller fails) and waits for the reader. */
    @Override
    public void close() {
        reader.interrupt();
        cleaners.shutdownNow();
        try {
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void readAll(List<PrepareStage.InputFile> files, RecordCleaner cleaner) {
        try {
            BatchingSink sink = new BatchingSink(cleaner);
            for (PrepareStage.InputFile file : files) {
                MessageDigest digest = Hashing.newSha256();
                try (InputStream in = new TrackedInput(Files.newInputStream(file.path()), digest, bytesRead)) {
                    RawReader.of(file.format(), file.spec()).read(in, file.path().toString(), sink);
                    in.transferTo(OutputStream.nullOutputStream());  // hash any tail a reader left unread
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + file.path() + ": " + dev.chatforge.io.IoErrors.reason(e), e);
                }
                sink.add(new FileDone(file.path().toString()));
                synchronized (inputEntries) {
                    inputEntries.add(new Manifest.FileEntry(file.path().toString(), file.bytes(),
                            HexFormat.of().formatHex(digest.digest())));
                }
            }
            sink.flush();
            queue.put(CompletableFuture.completedFuture(Batch.END));
        } catch (InterruptedException | Interrupted e) {
            // the caller stopped early (a failure, or strict mode); nothing more to do
        } catch (Throwable e) {
            try {
                queue.put(CompletableFuture.completedFuture(new Batch(null, e)));
            } catch (InterruptedException ignored) {
                // the caller is gone already
            }
        }
    }

    /** Unchecked, so readers need not know about the queue. */
    private static final class Interrupted extends RuntimeException {
        Interrupted() {
            super(null, null, false, false);
        }
    }

    /** Collects what a reader finds into batches and hands each to the cleaning pool. */
    private final class BatchingSink implements RecordSink {
        private final RecordCleaner cleaner;
        private List<Object> items = new ArrayList<>(BATCH_SIZE);

        BatchingSink(RecordCleaner cleaner) {
            this.cleaner = cleaner;
        }

        @Override
        public void record(Record raw) {
            add(raw);
        }

        @Override
        public void problem(Problem problem) {
            add(problem);
        }

        void add(Object item) {
            items.add(item);
            if (items.size() >= BATCH_SIZE) {
                flush();
            }
        }

        void flush() {
            if (items.isEmpty()) {
                return;
            }
            List<Object> batch = items;
            items = new ArrayList<>(BATCH_SIZE);
            try {
                queue.put(cleaners.submit(() -> {
                    batch.replaceAll(item -> {
                        if (item instanceof Record r) {
                            return cleaner.clean(r);
                        }
                        return item;
                    });
                    return new Batch(batch, null);
                }));
            } catch (InterruptedException | java.util.concurrent.RejectedExecutionException e) {
                throw new Interrupted();
            }
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
