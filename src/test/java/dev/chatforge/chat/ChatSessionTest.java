package dev.chatforge.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chatforge.data.Role;
import dev.chatforge.data.Turn;
import dev.chatforge.tokenizer.ChatTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class ChatSessionTest {

    /** Counts one token per character; replies "reply N"; records the prompts it saw. */
    static final class CharModel implements ReplyModel {
        final int context;
        final List<String> prompts = new ArrayList<>();
        final List<Integer> budgets = new ArrayList<>();

        CharModel(int context) {
            this.context = context;
        }

        @Override
        public int blockSize() {
            return context;
        }

        @Override
        public int countTokens(List<ChatTemplate.Segment> rendered) {
            return ChatTemplate.join(rendered).length();
        }

        @Override
        public String reply(List<ChatTemplate.Segment> prompt, int maxNewTokens, Consumer<String> onText) {
            prompts.add(ChatTemplate.join(prompt));
            budgets.add(maxNewTokens);
            String reply = " reply " + prompts.size() + " ";
            if (onText != null) {
                onText.accept(reply);
            }
            return reply;
        }
    }

    @Test
    void eachReplySeesTheWholeConversationRenderedWithTheTemplate() {
        CharModel model = new CharModel(1000);
        ChatSession session = new ChatSession(ChatTemplate.TURNS, model, "Be brief.", 50);
        assertEquals("reply 1", session.send("hi", null));
        assertEquals("reply 2", session.send("how are you?", null));
        List<Turn> expected = List.of(new Turn(Role.SYSTEM, "Be brief."),
                new Turn(Role.USER, "hi"), new Turn(Role.AGENT, "reply 1"),
                new Turn(Role.USER, "how are you?"));
        assertEquals(ChatTemplate.join(ChatTemplate.TURNS.renderForReply(expected)), model.prompts.get(1));
        assertTrue(model.prompts.get(1).endsWith(ChatTemplate.AGENT));
    }

    @Test
    void trimmingDropsTheOldestExchangesButNeverThePersona() {
        // TURNS: persona "P" renders as <|system|>P<|end|> (18 chars), each exchange
        // <|user|>mN<|end|><|agent|>reply N<|end|> is 40, the new message with the open reply
        // 26. Budget 120 - 20 = 100: the persona, one exchange and the new message (84) fit.
        CharModel model = new CharModel(120);
        ChatSession session = new ChatSession(ChatTemplate.TURNS, model, "P", 20);
        for (int i = 1; i <= 5; i++) {
            session.send("m" + i, null);
        }
        String last = model.prompts.get(4);
        assertTrue(last.startsWith("<|system|>P<|end|>"), last);
        assertTrue(last.length() <= 120 - 20, "prompt leaves room for the reply: " + last.length());
        assertTrue(last.contains("<|user|>m5<|end|>"), last);
        assertTrue(last.contains("<|user|>m4<|end|><|agent|>reply 4<|end|>"), "the latest exchange is kept: " + last);
        assertTrue(!last.contains("m1"), "the oldest exchange is dropped: " + last);
        // whole exchanges are dropped: no agent reply without its question
        assertEquals(count(last, ChatTemplate.USER), count(last, ChatTemplate.AGENT));
        assertEquals(10, session.turns().size(), "the history itself is kept; only the prompt is trimmed");
    }

    @Test
    void theReplyBudgetIsWhatTheContextHasLeft() {
        CharModel model = new CharModel(100);
        new ChatSession(ChatTemplate.TURNS, model, null, 500).send("hello", null);
        int prompt = "<|user|>hello<|end|><|agent|>".length();
        assertEquals(100 - prompt, model.budgets.get(0));
    }

    @Test
    void aMessageThatCannotFitIsRefusedAndNotRecorded() {
        CharModel model = new CharModel(60);
        ChatSession session = new ChatSession(ChatTemplate.TURNS, model, "persona", 10);
        ChatSession.ContextOverflowException e = assertThrows(ChatSession.ContextOverflowException.class,
                () -> session.send("x".repeat(100), null));
        assertTrue(e.getMessage().contains("attends to 60 tokens"), e.getMessage());
        assertEquals(0, session.turns().size());
    }

    @Test
    void resetKeepsThePersonaAndPersonaCanChange() {
        CharModel model = new CharModel(1000);
        ChatSession session = new ChatSession(ChatTemplate.INST, model, "You are a pirate.", 50);
        session.send("hi", null);
        session.reset();
        assertEquals(0, session.turns().size());
        session.setPersona("You are a cat.");
        session.send("hello", null);
        assertEquals("[INST] You are a cat.\n\nhello [/INST]", model.prompts.get(1));
        session.setPersona(" ");
        assertEquals(null, session.persona());
    }

    private static int count(String text, String marker) {
        int n = 0;
        for (int at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void aPersonaThatLeavesNoRoomIsRefusedWhenSetNotAtEveryMessage() {
        CharModel model = new CharModel(100);
        ChatSession.ContextOverflowException e = assertThrows(ChatSession.ContextOverflowException.class,
                () -> new ChatSession(ChatTemplate.TURNS, model, "x".repeat(200), 20));
        assertTrue(e.getMessage().contains("the persona takes") && e.getMessage().contains("attends to 100 tokens"),
                e.getMessage());
        ChatSession session = new ChatSession(ChatTemplate.TURNS, model, "short", 20);
        assertThrows(ChatSession.ContextOverflowException.class, () -> session.setPersona("y".repeat(200)));
        assertEquals("short", session.persona(), "a refused persona leaves the old one");
    }
}
