package dev.chatforge.chat;

import dev.chatforge.tokenizer.ChatTemplate;
import java.util.List;
import java.util.function.Consumer;

/**
 * What a chat session needs from a model: how long a rendered prompt is in tokens, how many
 * tokens fit, and the agent's reply to a prompt. The checkpoint-backed implementation generates
 * with the sampler and stops at the end-of-turn token; tests use fakes.
 */
public interface ReplyModel {
    /** The most tokens the model attends to at once ({@code n_positions}). */
    int blockSize();

    /** Tokens the rendered segments take. */
    int countTokens(List<ChatTemplate.Segment> rendered);

    /**
     * The agent's reply to {@code prompt} (which ends where the reply starts), without the
     * end-of-turn marker.
     *
     * @param maxNewTokens the most tokens the reply may take
     * @param onText       receives the reply as it is generated, for a terminal; may be null
     */
    String reply(List<ChatTemplate.Segment> prompt, int maxNewTokens, Consumer<String> onText);
}
