package dev.chatforge.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import dev.chatforge.data.Role;
import dev.chatforge.data.Turn;
import dev.chatforge.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Jinja chat_template chatforge exports for transformers renders every conversation to
 * exactly the text ChatTemplate renders (what the model was trained on) after the
 * {@code <|endoftext|>} every chatforge document starts with, checked with Jinjava.
 */
class ChatTemplateJinjaTest {
    @TempDir
    Path dir;

    static Turn t(Role role, String content) {
        return new Turn(role, content);
    }

    static final List<List<Turn>> CONVERSATIONS = List.of(
            List.of(t(Role.USER, "Where is my order?"), t(Role.AGENT, "It ships today.")),
            List.of(t(Role.SYSTEM, "You are a helpful support agent."), t(Role.USER, "Hi!"), t(Role.AGENT, "Hello, how can I help?"),
                    t(Role.USER, "Can I get a refund?\nIt broke."), t(Role.AGENT, "Yes: refunds take 5 days.")),
            List.of(t(Role.SYSTEM, "Persona one."), t(Role.SYSTEM, "Persona two wins."), t(Role.USER, "q1"), t(Role.AGENT, "a1"),
                    t(Role.SYSTEM, "Late persona, kept for the next user turn."), t(Role.AGENT, "a2"), t(Role.USER, "q2")),
            List.of(t(Role.SYSTEM, "Only a persona so far.")),
            List.of(t(Role.USER, "Quotes ' \" {{ not jinja }} {% raw %} and  spaces  ")),
            List.of());

    /** As Python's Jinja2 (what transformers runs): the text an expression prints is not rendered again. */
    static final Jinjava JINJA = new Jinjava(JinjavaConfig.newBuilder().withNestedInterpretationEnabled(false).build());

    static String jinja(String template, List<Turn> turns, boolean addGenerationPrompt, String agentRole) {
        List<Map<String, Object>> messages = new ArrayList<>();
        for (Turn turn : turns) {
            String role = switch (turn.role()) {
                case SYSTEM -> "system";
                case USER -> "user";
                case AGENT -> agentRole;
            };
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("role", role);
            m.put("content", turn.content());
            messages.add(m);
        }
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("messages", messages);
        context.put("add_generation_prompt", addGenerationPrompt);
        return JINJA.render(template, context);
    }

    @Test
    void jinjaRendersWhatChatTemplateRendersForEveryTemplateAndConversation() {
        for (ChatTemplate template : ChatTemplate.values()) {
            String jinja = TransformersFiles.jinja(template);
            for (List<Turn> turns : CONVERSATIONS) {
                for (String agentRole : List.of("assistant", "agent")) {
                    assertEquals(ChatTemplate.END_OF_TEXT + ChatTemplate.join(template.render(turns)), jinja(jinja, turns, false, agentRole),
                            template + " " + turns);
                    assertEquals(ChatTemplate.END_OF_TEXT + ChatTemplate.join(template.renderForReply(turns)), jinja(jinja, turns, true, agentRole),
                            template + " add_generation_prompt " + turns);
                }
            }
        }
    }

    @Test
    void aGenerationPromptOpensTheAgentsTurn() {
        List<Turn> turns = List.of(t(Role.USER, "Hi"));
        assertEquals("<|endoftext|><|user|>Hi<|end|><|agent|>", jinja(TransformersFiles.jinja(ChatTemplate.TURNS), turns, true, "assistant"));
        assertEquals("<|endoftext|>[INST] Hi [/INST]", jinja(TransformersFiles.jinja(ChatTemplate.INST), turns, true, "assistant"));
    }

    @Test
    void exportedFilesNameTheSpecialTokensAndStopAtTheEndOfATurn() throws Exception {
        WordCounter counter = new WordCounter(ChatTemplate.SPECIAL_TOKENS);
        counter.add("Where is my order? It ships today, my friend.");
        Path tokenizer = dir.resolve("tokenizer.json");
        Files.write(tokenizer, BpeTrainer.train(counter.counts(), 300, 1, ChatTemplate.SPECIAL_TOKENS).toTokenizerJson());
        int end;
        int eot;
        try (ChatTokenizer t = ChatTokenizer.load(tokenizer)) {
            end = t.specialTokenId("<|end|>");
            eot = t.specialTokenId("<|endoftext|>");
        }
        TransformersFiles.write(dir, tokenizer, 128, ChatTemplate.INST);
        JsonNode config = Json.MAPPER.readTree(dir.resolve("tokenizer_config.json").toFile());
        assertEquals("GPT2Tokenizer", config.path("tokenizer_class").asText());
        assertEquals(128, config.path("model_max_length").asInt());
        assertEquals("<|endoftext|>", config.path("eos_token").asText());
        assertEquals(TransformersFiles.jinja(ChatTemplate.INST), config.path("chat_template").asText());
        assertEquals("<|end|>", config.path("added_tokens_decoder").path(Integer.toString(end)).path("content").asText());
        JsonNode map = Json.MAPPER.readTree(dir.resolve("special_tokens_map.json").toFile());
        assertTrue(map.path("additional_special_tokens").toString().contains("\"<|user|>\""), map.toString());
        JsonNode generation = Json.MAPPER.readTree(dir.resolve("generation_config.json").toFile());
        assertEquals("[" + end + "," + eot + "]", generation.path("eos_token_id").toString());
    }

    /** A model pretrained on a vocabulary without chat tokens exports no chat template; config.json names its own end token. */
    @Test
    void aTokenizerWithoutTheTemplatesTokensExportsNoChatTemplate() throws Exception {
        List<String> onlyEndOfText = List.of(ChatTemplate.END_OF_TEXT);
        WordCounter counter = new WordCounter(onlyEndOfText);
        counter.add("Where is my order? It ships today, my friend.");
        Path tokenizer = dir.resolve("tokenizer.json");
        Files.write(tokenizer, BpeTrainer.train(counter.counts(), 300, 1, onlyEndOfText).toTokenizerJson());
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gpt2\", \"vocab_size\": 300}\n");
        TransformersFiles.write(dir, tokenizer, 64, ChatTemplate.TURNS);
        JsonNode config = Json.MAPPER.readTree(dir.resolve("tokenizer_config.json").toFile());
        assertTrue(config.path("chat_template").isMissingNode(), config.toString());
        int eot;
        try (ChatTokenizer t = ChatTokenizer.load(tokenizer)) {
            eot = t.specialTokenId(ChatTemplate.END_OF_TEXT);
        }
        JsonNode model = Json.MAPPER.readTree(dir.resolve("config.json").toFile());
        assertEquals(eot, model.path("eos_token_id").asInt());
        assertEquals(eot, model.path("bos_token_id").asInt());
        assertEquals(300, model.path("vocab_size").asInt());
        JsonNode generation = Json.MAPPER.readTree(dir.resolve("generation_config.json").toFile());
        assertEquals("[" + eot + "]", generation.path("eos_token_id").toString());
    }
}
