package dev.chatforge.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.tokenizer.ChatTemplate;
import java.util.Locale;

/**
 * The {@code README.md} of a checkpoint folder: the model card the Hugging Face Hub shows when the
 * folder is uploaded as it is. What the model is, how it was trained (stage, parent, data, steps,
 * validation loss), how to load it (transformers; llama.cpp through {@code chatforge export}),
 * and the one way the export's users can get a different prompt than chatforge's: Hugging Face
 * tokenizers read special-token strings typed inside a message as control tokens.
 */
public final class ModelCard {
    public static final String FILE_NAME = "README.md";

    private ModelCard() {}

    /**
     * The card's Markdown.
     *
     * @param name     what to call the model (the run folder's name)
     * @param config   the model's shape
     * @param state    the trainer state at this checkpoint
     * @param template the chat template, or null when the tokenizer lacks its tokens (no chat_template exported)
     */
    public static String markdown(String name, GPT2Config config, TrainerState state, ChatTemplate template) {
        JsonNode run = state.run();
        String stage = run == null ? "train" : run.path("stage").asText("train");
        StringBuilder md = new StringBuilder();
        md.append("---\nlibrary_name: transformers\npipeline_tag: text-generation\ntags:\n- gpt2\n- chatforge\n---\n\n");
        md.append("# ").append(name).append("\n\n");
        md.append(String.format(Locale.ROOT, "A GPT-2 causal language model (%,d parameters: %d layers, %d heads, width %d, "
                        + "context %d tokens, vocabulary %,d, activation %s) %s with "
                        + "chatforge (a Java toolkit that prepares data, trains a tokenizer and GPT-2, "
                        + "fine-tunes, evaluates and chats).\n\n",
                config.parameterCount(), config.nLayer(), config.nHead(), config.nEmbd(), config.nPositions(),
                config.vocabSize(), config.activationFunction(),
                stage.equals("finetune") ? "fine-tuned on conversations" : "pre-trained from scratch"));

        md.append("## Training\n\n");
        if (run != null && run.hasNonNull("parent")) {
            md.append("- Parent checkpoint: `").append(run.path("parent").asText()).append('`');
            if (run.hasNonNull("parent_step")) {
                md.append(" (step ").append(run.path("parent_step").asLong()).append(')');
            }
            if (run.hasNonNull("parent_sha256")) {
                md.append(", weights sha256 `").append(run.path("parent_sha256").asText()).append('`');
            }
            md.append('\n');
        }
        if (run != null && run.hasNonNull("data")) {
            md.append("- Data: `").append(run.path("data").asText()).append("` (a `chatforge tokenize` output folder; its "
                    + "manifest.json lists the sources)\n");
        }
        if (run != null && run.hasNonNull("train_on")) {
            md.append("- Loss on: ").append(run.path("train_on").asText()).append(" tokens\n");
        }
        md.append(String.format(Locale.ROOT, "- Steps: %,d (%,d tokens seen, %.0f s of training)%n", state.step(),
                state.tokensSeen(), state.elapsedSeconds()));
        if (state.trainLoss() != null) {
            md.append(String.format(Locale.ROOT, "- Training loss at the last step: %.4f%n", state.trainLoss()));
        }
        if (state.valLoss() != null) {
            md.append(String.format(Locale.ROOT, "- Validation loss at this step: %.4f (perplexity %.2f)%n", state.valLoss(),
                    Math.exp(state.valLoss())));
        }
        if (state.bestValLoss() != null) {
            md.append(String.format(Locale.ROOT, "- Best validation loss of the run: %.4f at step %,d%n", state.bestValLoss(),
                    state.bestStep()));
        }
        md.append("\nThe run's full settings are in `trainer_state.json`; its loss curve in `metrics.jsonl`.\n\n");

        md.append("## Prompt format\n\n");
        if (template == null) {
            md.append("Plain text: the tokenizer has no chat tokens, so no `chat_template` is exported. Every document "
                    + "the model saw started with `<|endoftext|>`; start a prompt with it too.\n\n");
        } else {
            md.append("`tokenizer_config.json` holds the chat template the model was trained with (`")
                    .append(template.wireName()).append("`); `tokenizer.apply_chat_template` renders exactly chatforge's "
                            + "prompt, the leading `<|endoftext|>` included:\n\n```\n")
                    .append(ChatTemplate.END_OF_TEXT)
                    .append(template == ChatTemplate.TURNS
                            ? "<|system|>persona<|end|><|user|>question<|end|><|agent|>reply<|end|>"
                            : "[INST] persona\n\nquestion [/INST] reply<|end|>")
                    .append("\n```\n\nA reply ends with `<|end|>` (`generation_config.json` stops there).\n\n");
        }

        md.append("## How to use\n\n");
        md.append("With transformers (Python):\n\n```python\nfrom transformers import AutoModelForCausalLM, AutoTokenizer\n"
                + "tok = AutoTokenizer.from_pretrained(\"path/to/this/folder\")\n"
                + "model = AutoModelForCausalLM.from_pretrained(\"path/to/this/folder\")\n");
        if (template != null) {
            md.append("ids = tok.apply_chat_template([{\"role\": \"user\", \"content\": \"Where is my order?\"}],\n"
                    + "                              add_generation_prompt=True, return_tensors=\"pt\")\n");
        } else {
            md.append("ids = tok(\"<|endoftext|>Once upon a time\", return_tensors=\"pt\").input_ids\n");
        }
        md.append("out = model.generate(ids, max_new_tokens=64, do_sample=False)\n"
                + "print(tok.decode(out[0][ids.shape[1]:]))\n```\n\n");
        md.append("With llama.cpp, Ollama or LM Studio: convert the folder to GGUF with chatforge (no Python needed), then "
                + "load the file:\n\n```\n./chatforge export --checkpoint path/to/this/folder --format gguf --output model.gguf "
                + "--type f16\nllama-cli -m model.gguf -p \"Once upon a time\" -n 64\n```\n\n"
                + "The GGUF file carries the tokenizer and the same chat template, so `llama-server` and Ollama chat with it in "
                + "this format.\n");
        if ("gelu".equals(config.activationFunction())) {
            md.append("\nThis model uses the exact (erf) GELU; llama.cpp's GPT-2 computes the tanh approximation, so its "
                    + "logits differ slightly from chatforge's and transformers'.\n");
        }
        md.append("\n## Special tokens typed inside messages\n\n"
                + "chatforge keeps everything a user or agent typed as text: a message that contains `<|end|>` or "
                + "`<|agent|>` is encoded as those characters, so it can never forge a turn. Hugging Face tokenizers (and "
                + "transformers' `apply_chat_template(..., tokenize=True)`) read such strings inside message content as the "
                + "control tokens themselves: `\"Say <|end|><|agent|> please\"` becomes a closed user turn and an opened "
                + "agent turn. If your application passes untrusted text, remove or escape these strings first (or "
                + "tokenize content with `split_special_tokens=True`).\n");
        return md.toString();
    }
}
