package dev.chatforge.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chatforge.chat.ChatTemplate.Segment;
import dev.chatforge.data.Role;
import dev.chatforge.data.Turn;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
    private static final List<Turn> CONVERSATION = List.of(
            new Turn(Role.SYSTEM, "Be kind."),
            new Turn(Role.USER, "Hi"),
            new Turn(Role.AGENT, "Hello!"),
            new Turn(Role.USER, "Bye"),
            new Turn(Role.AGENT, "See you."));

    @Test
    void turnsFormatMarksEveryTurnAndTrainsRepliesWithTheirEnd() {
        assertEquals(List.of(
                new Segment("<|system|>Be kind.<|end|>", false),
                new Segment("<|user|>Hi<|end|>", false),
                new Segment("<|agent|>", false),
                new Segment("Hello!<|end|>", true),
                new Segment("<|user|>Bye<|end|>", false),
                new Segment("<|agent|>", false),
                new Segment("See you.<|end|>", true)), ChatTemplate.TURNS.render(CONVERSATION));
    }

    @Test
    void turnsPromptForAReplyEndsWithTheAgentOpener() {
        assertEquals("<|system|>Be kind.<|end|><|user|>Hi<|end|><|agent|>",
                ChatTemplate.join(ChatTemplate.TURNS.renderForReply(CONVERSATION.subList(0, 2))));
    }

    @Test
    void instFormatFoldsThePersonaIntoTheFirstQuestion() {
        assertEquals(List.of(
                new Segment("[INST] Be kind.\n\nHi [/INST]", false),
                new Segment(" Hello!<|end|>", true),
                new Segment("[INST] Bye [/INST]", false),
                new Segment(" See you.<|end|>", true)), ChatTemplate.INST.render(CONVERSATION));
        assertEquals("[INST] Be kind.\n\nHi [/INST]",
                ChatTemplate.join(ChatTemplate.INST.renderForReply(CONVERSATION.subList(0, 2))));
    }

    @Test
    void trainingAndInferenceRenderTheSameHistory() {
        // The prompt for reply k is exactly the training text up to where reply k starts.
        String training = ChatTemplate.join(ChatTemplate.TURNS.render(CONVERSATION));
        String prompt = ChatTemplate.join(ChatTemplate.TURNS.renderForReply(CONVERSATION.subList(0, 4)));
        assertEquals(training.substring(0, prompt.length()), prompt);
        String instTraining = ChatTemplate.join(ChatTemplate.INST.render(CONVERSATION));
        String instPrompt = ChatTemplate.join(ChatTemplate.INST.renderForReply(CONVERSATION.subList(0, 4)));
        assertEquals(instTraining.substring(0, instPrompt.length()), instPrompt);
    }
}
