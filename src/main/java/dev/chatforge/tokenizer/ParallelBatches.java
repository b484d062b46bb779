package dev.chatforge.tokenizer;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs {@code work} over batches on several threads and hands the results to {@code sink} in
 * input order, on the calling thread. At most {@code 2 × threads} batches are in flight, so
 * memory stays bounded however large the input is.
 */
final class ParallelBatches {
    private ParallelBatches() {}

    static <T, R> void run(Iterator<T> batches, Function<T, R> work, Consumer<R> sink, int threads) {
        if (threads <= 1) {
            batches.forEachRemaining(b -> sink.accept(work.apply(b)));
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "chatforge-tokenize");
            t.setDaemon(true);
            return t;
        });
        ArrayDeque<Future<R>> inFlight = new ArrayDeque<>();
        try {
            while (batches.hasNext()) {
                T batch = batches.next();
                inFlight.add(pool.submit(() -> work.apply(batch)));
                if (inFlight.size() >= 2 * threads) {
                    sink.accept(await(inFlight.poll()));
                }
            }
            while (!inFlight.isEmpty()) {
                sink.accept(await(inFlight.poll()));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static <R> R await(Future<R> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        }
    }

    /** Threads to use: the machine's cores (this box has 2), at least 1. */
    static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }
}
