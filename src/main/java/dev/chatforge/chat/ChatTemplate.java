package dev.chatforge.chat;

import dev.chatforge.data.Turn;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a conversation becomes text for the model: the one piece of code that tokenize, finetune,
 * generate and chat share, so training and inference can never disagree.
 *
 * <p>Every boundary between two segments sits next to a special token, and the tokenizer splits
 * on special tokens before anything else, so encoding segment by segment gives exactly the ids
 * of encoding the joined text; that is what lets the loss mask follow segments.
 */
public enum ChatTemplate {
    /**
     * {@code <|system|>persona<|end|><|user|>question<|end|><|agent|>reply<|end|>} — the agent's
     * reply and its closing {@code <|end|>} are trained, so the model learns to stop.
     */
    TURNS,
    /**
     * The seed's tagged style: {@code [INST] persona\n\nquestion [/INST] reply<|end|>}; a
     * system turn is folded into the next user turn.
     */
    INST;

    public static final String END_OF_TEXT = "<|endoftext|>";
    public static final String SYSTEM = "<|system|>";
    public static final String USER = "<|user|>";
    public static final String AGENT = "<|agent|>";
    public static final String END_OF_TURN = "<|end|>";
    public static final String INST_OPEN = "[INST]";
    public static final String INST_CLOSE = "[/INST]";

    /** Every special token a chatforge tokenizer reserves, in id order after the byte tokens. */
    public static final List<String> SPECIAL_TOKENS =
            List.of(END_OF_TEXT, SYSTEM, USER, AGENT, END_OF_TURN, INST_OPEN, INST_CLOSE);

    /** A piece of rendered text and whether its tokens are trained on (agent replies). */
    public record Segment(String text, boolean trained) {}

    public static ChatTemplate parse(String name) {
        for (ChatTemplate t : values()) {
            if (t.wireName().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown chat template '" + name + "' (expected turns or inst)");
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** A whole conversation, for training: agent replies (with their end-of-turn) are trained. */
    public List<Segment> render(List<Turn> turns) {
        return this == TURNS ? renderTurns(turns, false) : renderInst(turns, false);
    }

    /**
     * The conversation so far, ending where the agent's next reply starts: what generation is
     * conditioned on. Generation stops at {@link #END_OF_TURN}.
     */
    public List<Segment> renderForReply(List<Turn> history) {
        return this == TURNS ? renderTurns(history, true) : renderInst(history, true);
    }

    /** Joins segments into one string (what the tokenizer would see as a whole). */
    public static String join(List<Segment> segments) {
        StringBuilder text = new StringBuilder();
        segments.forEach(s -> text.append(s.text()));
        return text.toString();
    }

    private static List<Segment> renderTurns(List<Turn> turns, boolean openReply) {
        List<Segment> out = new ArrayList<>();
        for (Turn turn : turns) {
            switch (turn.role()) {
                case SYSTEM -> out.add(new Segment(SYSTEM + turn.content() + END_OF_TURN, false));
                case USER -> out.add(new Segment(USER + turn.content() + END_OF_TURN, false));
                case AGENT -> {
                    out.add(new Segment(AGENT, false));
                    out.add(new Segment(turn.content() + END_OF_TURN, true));
                }
            }
        }
        if (openReply) {
            out.add(new Segment(AGENT, false));
        }
        return out;
    }

    private static List<Segment> renderInst(List<Turn> turns, boolean openReply) {
        List<Segment> out = new ArrayList<>();
        String pendingSystem = null;
        for (Turn turn : turns) {
            switch (turn.role()) {
                case SYSTEM -> pendingSystem = turn.content();
                case USER -> {
                    String body = pendingSystem == null ? turn.content() : pendingSystem + "\n\n" + turn.content();
                    pendingSystem = null;
                    out.add(new Segment(INST_OPEN + " " + body + " " + INST_CLOSE, false));
                }
                case AGENT -> out.add(new Segment(" " + turn.content() + END_OF_TURN, true));
            }
        }
        if (pendingSystem != null) {
            // A persona with no user turn yet still conditions the reply.
            out.add(new Segment(INST_OPEN + " " + pendingSystem + " " + INST_CLOSE, false));
        }
        return out;
    }
}
