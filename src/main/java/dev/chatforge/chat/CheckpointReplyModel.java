package dev.chatforge.chat;

import dev.chatforge.tokenizer.ChatTemplate;
import dev.chatforge.tokenizer.ChatTokenizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Chat replies from a checkpoint: the prompt is {@code <|endoftext|>} (the document start the
 * model saw in training) plus the rendered conversation; a reply ends at the end-of-turn token,
 * or at any other turn marker or end-of-text the model produces instead, and, for a model not
 * fine-tuned on turns, at a newline.
 */
public final class CheckpointReplyModel implements ReplyModel {
    private final ChatTokenizer tokenizer;
    private final Generator generator;
    private final Sampler sampler;
    private final StopCondition stop;
    private final int blockSize;

    public CheckpointReplyModel(LoadedModel model, Sampler sampler, List<String> stopStrings, boolean stopAtNewline) {
        this.tokenizer = model.tokenizer();
        this.generator = new Generator(model.nextTokenModel(), true);
        this.sampler = sampler;
        this.blockSize = model.blockSize();
        Set<Integer> stopIds = new HashSet<>();
        for (String special : ChatTemplate.SPECIAL_TOKENS) {
            Integer id = tokenizer.specialTokens().get(special);
            if (id != null) {
                stopIds.add(id);
            }
        }
        List<String> strings = new ArrayList<>(stopStrings);
        if (stopAtNewline) {
            strings.add("\n");
        }
        this.stop = new StopCondition(stopIds, strings);
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public int countTokens(List<ChatTemplate.Segment> rendered) {
        return 1 + tokenizer.encodeSegments(rendered).size();
    }

    @Override
    public String reply(List<ChatTemplate.Segment> prompt, int maxNewTokens, Consumer<String> onText) {
        int[] ids = tokenizer.encodeDocument(prompt);
        return generator.generate(ids, maxNewTokens, sampler, stop, tokenizer::decode, onText).text();
    }
}
