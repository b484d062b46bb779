package dev.chatforge.chat;

import dev.chatforge.data.Role;
import dev.chatforge.data.Turn;
import dev.chatforge.tokenizer.ChatTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A conversation with a model: the persona (a system turn), the turns so far, and the rule for
 * staying inside the model's context. Each reply is generated from the whole conversation
 * rendered with the chat template; when it no longer fits, the oldest exchanges (a user turn
 * with the agent's answer) are dropped, never the persona.
 */
public final class ChatSession {
    private final ChatTemplate template;
    private final ReplyModel model;
    private final int maxNewTokens;
    private String persona;
    private final List<Turn> turns = new ArrayList<>();

    /** The message and the persona alone (or the persona alone) are longer than the context allows. */
    public static final class ContextOverflowException extends RuntimeException {
        ContextOverflowException(String message) {
            super(message);
        }
    }

    /**
     * @param persona      the system turn, or null / blank for none
     * @param maxNewTokens the most tokens a reply may take
     */
    public ChatSession(ChatTemplate template, ReplyModel model, String persona, int maxNewTokens) {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max_new_tokens must be >= 1, got " + maxNewTokens);
        }
        this.template = template;
        this.model = model;
        this.maxNewTokens = maxNewTokens;
        setPersona(persona);
    }

    /** Sends a user message and returns the agent's reply; both join the history. */
    public String send(String userText, Consumer<String> onText) {
        List<Turn> kept = fitToContext(userText);
        List<ChatTemplate.Segment> prompt = template.renderForReply(kept);
        int room = model.blockSize() - model.countTokens(prompt);
        String reply = model.reply(prompt, Math.min(maxNewTokens, room), onText).strip();
        turns.add(new Turn(Role.USER, userText));
        turns.add(new Turn(Role.AGENT, reply));
        return reply;
    }

    /**
     * The conversation to render for the next reply: persona, then as many of the most recent
     * exchanges as fit with the new message while leaving room for a reply of
     * min(max_new_tokens, n_positions / 2) tokens.
     */
    List<Turn> fitToContext(String userText) {
        int context = model.blockSize();
        int budget = context - Math.min(maxNewTokens, context / 2);
        int firstKept = 0;
        while (true) {
            List<Turn> candidate = conversation(firstKept, userText);
            int length = model.countTokens(template.renderForReply(candidate));
            if (length <= budget) {
                return candidate;
            }
            if (firstKept >= turns.size()) {
                throw new ContextOverflowException("the message " + (persona == null ? "" : "and the persona ")
                        + "take " + length + " tokens; this model attends to " + context
                        + " tokens and keeps " + (context - budget) + " for the reply: send a shorter message");
            }
            firstKept = nextExchange(firstKept);
        }
    }

    /** Index of the turn after the exchange starting at {@code from}: its user turn and the agent turns answering it. */
    private int nextExchange(int from) {
        int i = from + 1;
        while (i < turns.size() && turns.get(i).role() != Role.USER) {
            i++;
        }
        return i;
    }

    private List<Turn> conversation(int firstKept, String userText) {
        List<Turn> out = new ArrayList<>();
        if (persona != null) {
            out.add(new Turn(Role.SYSTEM, persona));
        }
        out.addAll(turns.subList(firstKept, turns.size()));
        out.add(new Turn(Role.USER, userText));
        return out;
    }

    /** Forgets the turns; keeps the persona. */
    public void reset() {
        turns.clear();
    }

    /**
     * Replaces the persona (null or blank removes it); the turns are kept. A persona that leaves
     * no room for a message and the reply is refused here, once, rather than every message after.
     */
    public void setPersona(String text) {
        String given = text == null || text.isBlank() ? null : text.strip();
        if (given != null) {
            int context = model.blockSize();
            int budget = context - Math.min(maxNewTokens, context / 2);
            int length = model.countTokens(template.renderForReply(List.of(new Turn(Role.SYSTEM, given),
                    new Turn(Role.USER, ""))));
            if (length >= budget) {
                throw new ContextOverflowException("the persona takes " + length + " tokens (with the template's markers); "
                        + "this model attends to " + context + " tokens and keeps " + (context - budget)
                        + " for the reply, which leaves no room for a message: use a shorter persona");
            }
        }
        persona = given;
    }

    public String persona() {
        return persona;
    }

    public List<Turn> turns() {
        return List.copyOf(turns);
    }
}
