package dev.chatforge.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The files Hugging Face transformers reads beside {@code config.json}, {@code model.safetensors}
 * and {@code tokenizer.json}, so a chatforge checkpoint loads as it is with
 * {@code GPT2LMHeadModel.from_pretrained(dir)} and {@code AutoTokenizer.from_pretrained(dir)}, and
 * {@code tokenizer.apply_chat_template(messages)} renders exactly what chatforge trained on:
 * <ul>
 *   <li>{@code tokenizer_config.json}: the tokenizer class, special tokens, the context length and
 *       the Jinja {@code chat_template} ({@link #jinja(ChatTemplate)});</li>
 *   <li>{@code special_tokens_map.json}: bos/eos/unk and the other special tokens;</li>
 *   <li>{@code generation_config.json}: generation stops at the end of a turn or a document.</li>
 * </ul>
 */
public final class TransformersFiles {
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    public static final String SPECIAL_TOKENS_MAP = "special_tokens_map.json";
    public static final String GENERATION_CONFIG = "generation_config.json";

    private TransformersFiles() {}

    /**
     * The chat template in Jinja, as transformers' {@code apply_chat_template} runs it: messages
     * with roles system, user and assistant (chatforge's agent; "agent" is accepted too), and
     * {@code add_generation_prompt} for the opening of the next reply. Renders the text chatforge's
     * model sees: {@code <|endoftext|>} (every training conversation and every chat or generate
     * prompt starts a document with it; transformers adds no BOS for GPT-2) and then exactly
     * {@link ChatTemplate#render} / {@link ChatTemplate#renderForReply} (ChatTemplateJinjaTest;
     * ExportedChatTemplateIdsTest checks the ids). llama.cpp, which adds its BOS itself, strips a
     * rendered prompt's leading BOS text, so the same template serves a GGUF file.
     */
    public static String jinja(ChatTemplate template) {
        String agent = "message['role'] == 'assistant' or message['role'] == 'agent'";
        if (template == ChatTemplate.TURNS) {
            return ChatTemplate.END_OF_TEXT
                    + "{% for message in messages %}"
                    + "{% if message['role'] == 'system' %}" + ChatTemplate.SYSTEM + "{{ message['content'] }}" + ChatTemplate.END_OF_TURN
                    + "{% elif message['role'] == 'user' %}" + ChatTemplate.USER + "{{ message['content'] }}" + ChatTemplate.END_OF_TURN
                    + "{% elif " + agent + " %}" + ChatTemplate.AGENT + "{{ message['content'] }}" + ChatTemplate.END_OF_TURN
                    + "{% endif %}{% endfor %}"
                    + "{% if add_generation_prompt %}" + ChatTemplate.AGENT + "{% endif %}";
        }
        // [INST]: a system message waits for the next user message and is put before it.
        return ChatTemplate.END_OF_TEXT
                + "{% set ns = namespace(system=none) %}"
                + "{% for message in messages %}"
                + "{% if message['role'] == 'system' %}{% set ns.system = message['content'] %}"
                + "{% elif message['role'] == 'user' %}" + ChatTemplate.INST_OPEN + " "
                + "{% if ns.system is not none %}{{ ns.system }}\n\n{% set ns.system = none %}{% endif %}"
                + "{{ message['content'] }} " + ChatTemplate.INST_CLOSE
                + "{% elif " + agent + " %} {{ message['content'] }}" + ChatTemplate.END_OF_TURN
                + "{% endif %}{% endfor %}"
                + "{% if ns.system is not none %}" + ChatTemplate.INST_OPEN + " {{ ns.system }} " + ChatTemplate.INST_CLOSE
                + "{% endif %}";
    }

    /** An entry of tokenizer.json's {@code added_tokens}, all its flags as the file gives them. */
    private record Added(int id, String content, boolean special, JsonNode entry) {}

    private static int idOf(List<Added> tokens, String content) {
        return tokens.stream().filter(t -> t.content().equals(content)).mapToInt(Added::id)
                .findFirst().orElse(-1);
    }

    /**
     * Writes the three files into {@code dir} for the tokenizer at {@code tokenizerFile}; returns
     * whether a {@code chat_template} was written (the tokenizer has the template's tokens).
     */
    public static boolean write(Path dir, Path tokenizerFile, int blockSize, ChatTemplate template) throws IOException {
        // Only added_tokens matter here (the tokenizer itself was checked where it was made).
        List<Added> addedTokens = new ArrayList<>();
        for (JsonNode t : Json.MAPPER.readTree(tokenizerFile.toFile()).path("added_tokens")) {
            addedTokens.add(new Added(t.path("id").asInt(), t.path("content").asText(), t.path("special").asBoolean(false), t));
        }
        int end = idOf(addedTokens, ChatTemplate.END_OF_TURN);
        int eot = idOf(addedTokens, ChatTemplate.END_OF_TEXT);
        String document = eot >= 0 ? ChatTemplate.END_OF_TEXT : null;

        ObjectNode specials = Json.MAPPER.createObjectNode();
        if (document != null) {
            specials.put("bos_token", document);
            specials.put("eos_token", document);
            specials.put("unk_token", document);
        }
        ArrayNode additional = specials.putArray("additional_special_tokens");
        for (Added t : addedTokens) {
            if (t.special() && !t.content().equals(document)) {
                additional.add(t.content());
            }
        }

        ObjectNode config = Json.MAPPER.createObjectNode();
        config.put("tokenizer_class", "GPT2Tokenizer");
        config.put("model_max_length", blockSize);
        config.put("add_prefix_space", false);
        config.put("add_bos_token", false);
        config.put("clean_up_tokenization_spaces", false); // decode gives back the exact text
        config.setAll(specials);
        ObjectNode decoder = config.putObject("added_tokens_decoder");
        for (Added t : addedTokens) {
            // The flags tokenizer.json gives (transformers prefers these when both load: a
            // disagreement would make the two files describe different tokenizers). The defaults
            // are those of tokenizers' AddedToken.
            ObjectNode entry = decoder.putObject(Integer.toString(t.id()));
            entry.put("content", t.content());
            entry.put("lstrip", t.entry().path("lstrip").asBoolean(false));
            entry.put("normalized", t.entry().path("normalized").asBoolean(!t.special()));
            entry.put("rstrip", t.entry().path("rstrip").asBoolean(false));
            entry.put("single_word", t.entry().path("single_word").asBoolean(false));
            entry.put("special", t.special());
        }
        // Only a template whose tokens this tokenizer has: without them transformers would render
        // "<|user|>" as plain text, not what the model was trained on (e.g. pretraining on GPT-2's vocabulary).
        boolean chat = eot >= 0 && template.controlTokens().stream().allMatch(token -> idOf(addedTokens, token) >= 0);
        if (chat) {
            config.put("chat_template", jinja(template));
        }

        ObjectNode generation = Json.MAPPER.createObjectNode();
        ArrayNode stops = Json.MAPPER.createArrayNode();
        if (end >= 0) {
            stops.add(end);
        }
        if (eot >= 0) {
            stops.add(eot);
            generation.put("bos_token_id", eot);
            generation.put("pad_token_id", eot);
        }
        generation.set("eos_token_id", stops);

        Files.writeString(dir.resolve(TOKENIZER_CONFIG), Json.MAPPER.writeValueAsString(config) + "\n");
        Files.writeString(dir.resolve(SPECIAL_TOKENS_MAP), Json.MAPPER.writeValueAsString(specials) + "\n");
        if (!stops.isEmpty()) {
            Files.writeString(dir.resolve(GENERATION_CONFIG), Json.MAPPER.writeValueAsString(generation) + "\n");
        }
        if (eot >= 0) {
            // transformers' GPT2Config defaults these to 50256, which a chatforge vocabulary may not have.
            Path modelConfig = dir.resolve("config.json");
            if (Files.exists(modelConfig)) {
                ObjectNode node = (ObjectNode) Json.MAPPER.readTree(modelConfig.toFile());
                node.put("bos_token_id", eot);
                node.put("eos_token_id", eot);
                Files.writeString(modelConfig, Json.MAPPER.writeValueAsString(node) + "\n");
            }
        }
        return chat;
    }
}
