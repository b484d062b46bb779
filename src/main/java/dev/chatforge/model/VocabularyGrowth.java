package dev.chatforge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Makes room in a model for tokens appended to its tokenizer (chat special tokens added to a
 * pretrained GPT-2's vocabulary): the token embedding, which is also the tied LM head, gets one
 * new row per new id, each the mean of the existing rows. A mean row keeps the first predictions
 * sane: new tokens start with an average logit instead of a random one that could dominate the
 * softmax (Hewitt, "Initializing new word embeddings for pretrained language models", 2021;
 * transformers' resize_token_embeddings starts from the mean too).
 */
public final class VocabularyGrowth {
    private VocabularyGrowth() {}

    /**
     * A new model with {@code vocabSize} token ids: {@code model}'s weights, wte grown by mean
     * rows. The new model takes {@code model}'s other parameters (no copy): the caller must close
     * {@code model} and not use it again.
     */
    public static GPT2 grow(GPT2 model, int vocabSize) {
        int old = model.config().vocabSize();
        if (vocabSize < old) {
            throw new IllegalArgumentException("cannot shrink the vocabulary from " + old + " to " + vocabSize);
        }
        try (NDManager scratch = model.manager().newSubManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>(model.parameters());
            String name = GPT2.PREFIX + "wte.weight";
            NDArray wte = tensors.get(name);
            if (vocabSize > old) {
                // Results go to the first operand's (the model's) manager: move them to scratch.
                NDArray mean = wte.mean(new int[] {0}, true);         // (1, C)
                mean.attach(scratch);
                NDArray rows = mean.repeat(0, vocabSize - old);        // (new, C)
                rows.attach(scratch);
                NDArray grown = wte.concat(rows, 0);                   // (vocabSize, C)
                grown.attach(scratch);
                tensors.put(name, grown);
            }
            return GPT2.fromTensors(model.config().withVocabSize(vocabSize), model.device(), tensors);
        }
    }
}
