package dev.chatforge.tokenizer;

import dev.chatforge.data.Turn;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a conversation becomes text for the model: the one piece of code that tokenize, finetune,
 * generate and chat share, so training and inference can never disagree.
 *
 * <p>Special tokens come only from the template: each is a {@link Segment#control control}
 * segment of its own, and everything a user, agent, persona or document wrote is a text segment,
 * encoded as ordinary text even where it spells {@code <|end|>} or {@code <|agent|>}, so content
 * can never forge a turn. Segments are encoded one by one; that is also what lets the loss mask
 * follow them.
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

    /**
     * A piece of rendered text and whether its tokens are trained on (agent replies). A control
     * segment is exactly one special token of the template; any other segment is ordinary text,
     * whatever characters it holds.
     */
    public record Segment(String text, boolean trained, boolean control) {
        /** Ordinary text: special-token strings in it stay text. */
        public Segment(String text, boolean trained) {
            this(text, trained, false);
        }

        /** One special token of the template. */
        public static Segment control(String token, boolean trained) {
            return new Segment(token, trained, true);
        }
    }

    /** The special tokens this template renders conversations with. */
    public List<String> controlTokens() {
        return this == TURNS ? List.of(SYSTEM, USER, AGENT, END_OF_TURN) : List.of(INST_OPEN, INST_CLOSE, END_OF_TURN);
    }

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

    /** Joins segments into one string (for display: the tokenizer encodes segment by segment). */
    public static String join(List<Segment> segments) {
        StringBuilder text = new StringBuilder();
        segments.forEach(s -> text.append(s.text()));
        return text.toString();
    }

    private static List<Segment> renderTurns(List<Turn> turns, boolean openReply) {
        List<Segment> out = new ArrayList<>();
        for (Turn turn : turns) {
            switch (turn.role()) {
                case SYSTEM -> addTurn(out, SYSTEM, turn.content());
                case USER -> addTurn(out, USER, turn.content());
                case AGENT -> {
                    out.add(Segment.control(AGENT, false));
                    out.add(new Segment(turn.content(), true));
                    out.add(Segment.control(END_OF_TURN, true));
                }
            }
        }
        if (openReply) {
            out.add(Segment.control(AGENT, false));
        }
        return out;
    }

    private static void addTurn(List<Segment> out, String marker, String content) {
        out.add(Segment.control(marker, false));
        out.add(new Segment(content, false));
        out.add(Segment.control(END_OF_TURN, false));
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
                    addInst(out, body);
                }
                case AGENT -> {
                    out.add(new Segment(" " + turn.content(), true));
                    out.add(Segment.control(END_OF_TURN, true));
                }
            }
        }
        if (pendingSystem != null) {
            // A persona with no user turn yet still conditions the reply.
            addInst(out, pendingSystem);
        }
        return out;
    }

    private static void addInst(List<Segment> out, String body) {
        out.add(Segment.control(INST_OPEN, false));
        out.add(new Segment(" " + body + " ", false));
        out.add(Segment.control(INST_CLOSE, false));
    }
}
