package dev.chatforge.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.Json;
import dev.chatforge.model.GPT2Config;
import java.util.ArrayList;
import java.util.List;

/**
 * What a resumed run would change against the run saved in latest/ (as torchtune checks in
 * {@code _update_recipe_state}): a different schedule, batch, seed, optimizer or data makes the
 * resumed run another run than the one that was killed, so each change is named with both values
 * and refused unless the user accepts it ({@code resume_changes: accept}); an accepted change is
 * recorded in metrics.jsonl and the manifest. A different model shape cannot be resumed at all.
 *
 * <p>max_steps itself may change (stop earlier, or train on); but while lr_decay_steps is unset
 * the cosine ends at max_steps, so a new max_steps moves the schedule, and that is a change
 * ("lr_decay_steps (max_steps) 20 → 40"): setting lr_decay_steps to the old value keeps the
 * curve and trains on at min_lr, as nanoGPT does when max_iters outgrows lr_decay_iters;
 * accepting it stretches the cosine from the current step, as Hugging Face's Trainer does.
 */
final class ResumeChanges {
    private ResumeChanges() {}

    /** One changed setting, with the key as the user writes it. */
    record Change(String key, JsonNode from, JsonNode to) {
        @Override
        public String toString() {
            return key + " " + text(from) + " → " + text(to);
        }

        private static String text(JsonNode value) {
            return value == null || value.isMissingNode() ? "(unset)" : value.isTextual() ? value.asText() : value.toString();
        }
    }

    /** Settings that decide what the run computes; the rest (eval_interval, device, ...) may change freely. */
    private static final List<String> KEYS = List.of("learning_rate", "min_lr", "warmup_steps", "lr_decay_steps",
            "batch_size", "grad_accum", "seed", "beta1", "beta2", "adam_eps", "weight_decay", "grad_clip", "train_on",
            "block_size");

    /** Changes of the settings between the saved run facts and the new ones (both {@link TrainerState#run()}). */
    static List<Change> between(JsonNode saved, JsonNode now) {
        List<Change> changes = new ArrayList<>();
        JsonNode before = saved == null ? Json.MAPPER.createObjectNode() : saved.path("config");
        JsonNode after = now.path("config");
        if (before.isMissingNode() || !before.isObject()) {
            return changes; // a checkpoint from before settings were saved: nothing to compare
        }
        for (String key : KEYS) {
            JsonNode from = key.equals("lr_decay_steps") ? decaySteps(before) : before.get(key);
            JsonNode to = key.equals("lr_decay_steps") ? decaySteps(after) : after.get(key);
            if (from != null && to != null && !sameValue(from, to)) {
                String shown = key.equals("lr_decay_steps") && (isUnset(before.get(key)) || isUnset(after.get(key)))
                        ? "lr_decay_steps (max_steps)" : key;
                changes.add(new Change(shown, from, to));
            }
        }
        JsonNode dataBefore = saved.path("data_sha256");
        JsonNode dataAfter = now.path("data_sha256");
        if (dataBefore.isObject() && dataAfter.isObject() && !dataBefore.equals(dataAfter)) {
            changes.add(new Change("data", saved.path("data"), now.path("data")));
        }
        return changes;
    }

    /** The dropout change between two model configs, or null (train and finetune both call it {@code dropout}). */
    static Change dropout(GPT2Config saved, GPT2Config now) {
        if (saved.residPdrop() == now.residPdrop() && saved.embdPdrop() == now.embdPdrop()
                && saved.attnPdrop() == now.attnPdrop()) {
            return null;
        }
        return new Change("dropout", dropoutValue(saved), dropoutValue(now));
    }

    private static JsonNode dropoutValue(GPT2Config c) {
        if (c.residPdrop() == c.embdPdrop() && c.embdPdrop() == c.attnPdrop()) {
            return Json.MAPPER.getNodeFactory().numberNode(c.residPdrop());
        }
        return Json.MAPPER.createObjectNode().put("resid_pdrop", c.residPdrop()).put("embd_pdrop", c.embdPdrop())
                .put("attn_pdrop", c.attnPdrop());
    }

    /**
     * The model-shape differences, named by the config keys a user sets (block_size for
     * n_positions), each with both values; empty when the weights fit the new config.
     */
    static List<String> shape(GPT2Config saved, GPT2Config now) {
        List<String> differences = new ArrayList<>();
        differ(differences, "vocab_size (the tokenizer's)", saved.vocabSize(), now.vocabSize());
        differ(differences, "block_size", saved.nPositions(), now.nPositions());
        differ(differences, "n_embd", saved.nEmbd(), now.nEmbd());
        differ(differences, "n_layer", saved.nLayer(), now.nLayer());
        differ(differences, "n_head", saved.nHead(), now.nHead());
        differ(differences, "activation_function", saved.activationFunction(), now.activationFunction());
        differ(differences, "layer_norm_epsilon", saved.layerNormEpsilon(), now.layerNormEpsilon());
        return differences;
    }

    private static void differ(List<String> out, String key, Object saved, Object now) {
        if (!saved.equals(now)) {
            out.add(key + " " + saved + " → " + now);
        }
    }

    /** The record of accepted changes at {@code step}, as a metrics.jsonl line. */
    static ObjectNode metricsLine(long step, List<Change> changes) {
        ObjectNode line = MetricsLog.line(step);
        ObjectNode all = line.putObject("resume_changes");
        for (Change c : changes) {
            ObjectNode entry = all.putObject(c.key());
            entry.set("from", c.from());
            entry.set("to", c.to());
        }
        return line;
    }

    /** {@code history} (the saved run's list, or missing) with these changes at {@code step} appended. */
    static ArrayNode history(JsonNode history, long step, List<Change> changes) {
        ArrayNode all = Json.MAPPER.createArrayNode();
        if (history != null && history.isArray()) {
            all.addAll((ArrayNode) history);
        }
        for (Change c : changes) {
            ObjectNode entry = all.addObject().put("step", step).put("key", c.key());
            entry.set("from", c.from());
            entry.set("to", c.to());
        }
        return all;
    }

    private static JsonNode decaySteps(JsonNode config) {
        JsonNode given = config.get("lr_decay_steps");
        return isUnset(given) ? config.get("max_steps") : given;
    }

    private static boolean isUnset(JsonNode value) {
        return value == null || value.isNull();
    }

    /** 0.01 written as 1.0E-2 or an int written as a long are the same setting. */
    private static boolean sameValue(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.equals(b);
    }
}
