package dev.chatforge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Views of a range along one axis: storage shared with the array, so in-place ops on a view write
 * through to it. Work on large tensors goes a slice at a time this way (the LM head's chunks of
 * logits, the vocabulary slices of its gradient) so its temporaries stay small.
 */
final class Slices {
    private Slices() {}

    /**
     * [from, to) along {@code axis} of {@code array}, a view that belongs to {@code owner} (DJL
     * would put it in the array's manager, e.g. the model's, where views of every step would pile up).
     */
    static NDArray of(NDArray array, int axis, long from, long to, NDManager owner) {
        NDArray view = JniUtils.slice((PtNDArray) array, axis, from, to, 1);
        view.attach(owner);
        return view;
    }

    /** Rows [from, to) of {@code array}: {@link #of} along axis 0. */
    static NDArray rows(NDArray array, long from, long to, NDManager owner) {
        return of(array, 0, from, to, owner);
    }
}
