package dev.chatforge.finetune;

import dev.chatforge.train.DataSampler;
import dev.chatforge.train.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Fine-tuning batches: the packed windows in a fresh seeded shuffle every epoch. Deterministic
 * in (windows, seed, position), as {@link DataSampler} requires for exact resumption.
 */
public final class PackedWindowSampler implements DataSampler {
    private final PackedWindows windows;
    private final long seed;
    private long position;
    private long epoch = -1;
    private int[] order;

    public PackedWindowSampler(PackedWindows windows, long seed) {
        if (windows.count() == 0) {
            throw new IllegalArgumentException("no windows to sample from");
        }
        this.windows = windows;
        this.seed = seed;
    }

    @Override
    public TokenBatch next(int rows) {
        int length = windows.length();
        int[] tokens = new int[rows * length];
        byte[] mask = new byte[rows * length];
        for (int r = 0; r < rows; r++) {
            int w = windowAt(position++);
            System.arraycopy(windows.ids(), w * length, tokens, r * length, length);
            System.arraycopy(windows.weights(), w * length, mask, r * length, length);
        }
        return new TokenBatch(rows, length - 1, tokens, mask);
    }

    /** The window drawn at a position: epoch = position / count, shuffled per epoch. */
    private int windowAt(long at) {
        int count = windows.count();
        long e = at / count;
        if (e != epoch) {
            order = shuffled(count, new Random(seed * 1_000_003L + e));
            epoch = e;
        }
        return order[(int) (at % count)];
    }

    private static int[] shuffled(int n, Random random) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    @Override
    public int blockSize() {
        return windows.length() - 1;
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public void seek(long position) {
        this.position = position;
    }

    /**
     * The fixed validation set: every window once (at most {@code max}, spread evenly, so
     * validation stays cheap on a large dialogue set), {@code batchSize} per batch.
     */
    public static List<TokenBatch> batches(PackedWindows windows, int max, int batchSize) {
        int n = windows.count();
        int chosen = Math.min(n, max);
        int length = windows.length();
        List<TokenBatch> out = new ArrayList<>();
        for (int first = 0; first < chosen; first += batchSize) {
            int rows = Math.min(batchSize, chosen - first);
            int[] tokens = new int[rows * length];
            byte[] mask = new byte[rows * length];
            for (int r = 0; r < rows; r++) {
                int w = (int) ((long) (first + r) * n / chosen);
                System.arraycopy(windows.ids(), w * length, tokens, r * length, length);
                System.arraycopy(windows.weights(), w * length, mask, r * length, length);
            }
            out.add(new TokenBatch(rows, length - 1, tokens, mask));
        }
        return out;
    }
}
