package dev.chatforge.serve;

import dev.chatforge.chat.DecodingSequence;
import dev.chatforge.chat.NextTokenModel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Continuous batching: one thread owns the model and decodes every running sequence together,
 * one token per step, in one batched forward pass ({@link NextTokenModel#appendEach}). A request
 * waits in a bounded queue until the batch has room ({@code maxConcurrent}); it then joins at
 * the next step (its prompt is prefilled into its own key/value cache first), and leaves the
 * batch as soon as it ends, is cancelled (its client left) or passes its deadline, so the place
 * goes to the next waiting request at the following step. Each sequence keeps its own cache and
 * sampler ({@link DecodingSequence}), so batching never changes what a request gets.
 */
public final class BatchScheduler implements AutoCloseable {
    private final NextTokenModel model;
    private final int maxConcurrent;
    private final int maxQueue;
    private final Deque<Job> waiting = new ArrayDeque<>();
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private final Thread thread;
    private volatile boolean closed;

    /** How a request left the batch. */
    public enum Outcome { FINISHED, CANCELLED, TIMED_OUT }

    /** The queue is full: the request was not accepted (429). */
    public static final class QueueFullException extends RuntimeException {
        QueueFullException(String message) {
            super(message);
        }
    }

    /** One request's sequence in the scheduler; {@link #done()} completes when it leaves the batch. */
    public static final class Job {
        private final DecodingSequence sequence;
        private final long deadlineNanos;
        private final CompletableFuture<Outcome> done = new CompletableFuture<>();
        private volatile boolean cancelled;
        private NextTokenModel.CachedSession session;
        private float[] logits;

        Job(DecodingSequence sequence, long deadlineNanos) {
            this.sequence = sequence;
            this.deadlineNanos = deadlineNanos;
        }

        /** Asks the scheduler to drop this sequence at its next step (its client went away). */
        public void cancel() {
            cancelled = true;
        }

        public CompletableFuture<Outcome> done() {
            return done;
        }

        public DecodingSequence sequence() {
            return sequence;
        }
    }

    /**
     * @param maxConcurrent sequences decoded together
     * @param maxQueue      requests that may wait for a place; more are refused
     */
    public BatchScheduler(NextTokenModel model, int maxConcurrent, int maxQueue) {
        this.model = model;
        this.maxConcurrent = maxConcurrent;
        this.maxQueue = maxQueue;
        this.thread = new Thread(this::loop, "chatforge-batch");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Queues a sequence to be decoded; the sequence streams its text through its own callback on
     * the scheduler's thread, so that callback must not block.
     *
     * @throws QueueFullException when the batch is full and {@code maxQueue} requests already wait
     */
    public Job submit(DecodingSequence sequence, long timeoutNanos) {
        Job job = new Job(sequence, System.nanoTime() + timeoutNanos);
        synchronized (waiting) {
            if (closed) {
                throw new IllegalStateException("the server is shutting down");
            }
            if (inFlight.get() >= maxConcurrent + maxQueue) {
                throw new QueueFullException("the server is busy: " + maxConcurrent + " requests are being answered and "
                        + maxQueue + " are waiting; retry later");
            }
            inFlight.incrementAndGet();
            job.done.whenComplete((outcome, error) -> inFlight.decrementAndGet());
            waiting.addLast(job);
            waiting.notifyAll();
        }
        return job;
    }

    /** Requests accepted and not yet answered (running or waiting). */
    public int inFlight() {
        return inFlight.get();
    }

    private void loop() {
        List<Job> running = new ArrayList<>();
        while (!closed) {
            try {
                admit(running);
                if (running.isEmpty()) {
                    continue;
                }
                step(running);
            } catch (InterruptedException e) {
                break;
            }
        }
        running.forEach(job -> leave(job, Outcome.CANCELLED));
        synchronized (waiting) {
            waiting.forEach(job -> job.done.complete(Outcome.CANCELLED));
            waiting.clear();
        }
    }

    /** Moves waiting requests into the batch while it has room (waits for one when the batch is empty). */
    private void admit(List<Job> running) throws InterruptedException {
        while (running.size() < maxConcurrent) {
            Job job;
            synchronized (waiting) {
                while (running.isEmpty() && waiting.isEmpty() && !closed) {
                    waiting.wait();
                }
                job = waiting.pollFirst();
            }
            if (job == null) {
                return;
            }
            if (job.cancelled || System.nanoTime() > job.deadlineNanos) {
                job.done.complete(job.cancelled ? Outcome.CANCELLED : Outcome.TIMED_OUT);
                continue;
            }
            try {
                job.session = model.newSession();
                job.logits = job.session.append(job.sequence.window());
                running.add(job);
            } catch (RuntimeException | OutOfMemoryError e) {
                fail(job, e);
            }
        }
    }

    /** Lets every running sequence take its next token, then feeds all the new tokens in one batched pass. */
    private void step(List<Job> running) {
        List<Job> stepping = new ArrayList<>(running.size());
        List<NextTokenModel.CachedSession> sessions = new ArrayList<>(running.size());
        int[] tokens = new int[running.size()];
        for (Iterator<Job> it = running.iterator(); it.hasNext(); ) {
            Job job = it.next();
            try {
                if (job.cancelled || System.nanoTime() > job.deadlineNanos) {
                    job.sequence.abandon();
                    it.remove();
                    leave(job, job.cancelled ? Outcome.CANCELLED : Outcome.TIMED_OUT);
                    continue;
                }
                DecodingSequence.Feed feed = job.sequence.accept(job.logits);
                if (feed == null) {
                    it.remove();
                    leave(job, Outcome.FINISHED);
                } else if (feed.restart()) {
                    // The window shifted: a fresh cache for the kept tokens (the server caps max_tokens by
                    // the context, so this happens only for callers that do not).
                    job.session.close();
                    job.session = model.newSession();
                    job.logits = job.session.append(feed.tokens());
                } else {
                    tokens[stepping.size()] = feed.tokens()[0];
                    stepping.add(job);
                    sessions.add(job.session);
                }
            } catch (RuntimeException | OutOfMemoryError e) {
                it.remove();
                fail(job, e);
            }
        }
        if (stepping.isEmpty()) {
            return;
        }
        try {
            float[][] logits = model.appendEach(sessions, java.util.Arrays.copyOf(tokens, stepping.size()));
            for (int i = 0; i < logits.length; i++) {
                stepping.get(i).logits = logits[i];
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            // the step failed for all of them (an out-of-memory among them): they fail, the server goes on
            for (Job job : stepping) {
                running.remove(job);
                fail(job, e);
            }
        }
    }

    private static void leave(Job job, Outcome outcome) {
        closeSession(job);
        job.done.complete(outcome);
    }

    private static void fail(Job job, Throwable e) {
        closeSession(job);
        job.done.completeExceptionally(e);
    }

    private static void closeSession(Job job) {
        if (job.session != null) {
            job.session.close();
            job.session = null;
        }
    }

    /** Stops the decoding thread; running and waiting requests end as cancelled. */
    @Override
    public void close() {
        synchronized (waiting) {
            closed = true;
            waiting.notifyAll();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
