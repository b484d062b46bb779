package dev.chatforge.serve;

import dev.chatforge.chat.NextTokenModel;
import java.util.List;

/** A model that passes every call to {@code inner}; tests override {@link #appendEach} to watch or hold the batched steps. */
abstract class ForwardingModel implements NextTokenModel {
    final NextTokenModel inner;

    ForwardingModel(NextTokenModel inner) {
        this.inner = inner;
    }

    @Override
    public int blockSize() {
        return inner.blockSize();
    }

    @Override
    public float[] nextTokenLogits(int[] tokens) {
        return inner.nextTokenLogits(tokens);
    }

    @Override
    public CachedSession newSession() {
        return inner.newSession();
    }

    @Override
    public float[][] appendEach(List<CachedSession> sessions, int[] tokens) {
        return inner.appendEach(sessions, tokens);
    }
}
