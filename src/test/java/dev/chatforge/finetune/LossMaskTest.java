package dev.chatforge.finetune;

import dev.chatforge.train.ArrayTokenSource;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chatforge.tokenizer.ChatTemplate;
import dev.chatforge.data.Role;
import dev.chatforge.data.Turn;
import dev.chatforge.tokenizer.ChatTokenizer;
import dev.chatforge.train.TokenBatch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loss mask from real text through the real tokenizer to the batch the trainer sees. */
class LossMaskTest {
    @TempDir
    Path dir;

    @Test
    void onlyAgentRepliesAndTheirEndOfTurnAreTrainedAndPaddingNever() throws Exception {
        List<Turn> conversation = List.of(
                new Turn(Role.SYSTEM, "You are a helpful support agent."),
                new Turn(Role.USER, "Hi, I am Ana. Where is my order?"),
                new Turn(Role.AGENT, "Hello Ana. It ships today."),
                new Turn(Role.USER, "Thanks!"),
                new Turn(Role.AGENT, "You are welcome."));
        for (ChatTemplate template : ChatTemplate.values()) {
            try (ChatTokenizer tokenizer = ChatTokenizer.load(DialogueFixture.tokenizer(dir.resolve(template.wireName()), 400))) {
                ChatTokenizer.Encoded e = tokenizer.encode(template, conversation);
                int[] ids = Arrays.copyOf(e.ids(), e.size() + 1);
                byte[] mask = Arrays.copyOf(e.mask(), e.size() + 1);
                ids[e.size()] = tokenizer.endOfTextId(); // the separator tokenize writes after a record
                ConversationPacker packer = new ConversationPacker(127, tokenizer.endOfTextId(),
                        Set.of(tokenizer.specialTokenId(ChatTemplate.USER), tokenizer.specialTokenId(ChatTemplate.INST_OPEN)),
                        TrainOn.AGENT);
                PackedWindows windows = packer.pack(new ArrayTokenSource(ids, mask, tokenizer.vocabSize()), "test");
                TokenBatch batch = new PackedWindowSampler(windows, 1).next(1);

                // The trained targets, decoded, are exactly the replies with their end-of-turn.
                int[] targets = batch.targets();
                float[] weights = batch.weights();
                List<Integer> trained = new ArrayList<>();
                for (int t = 0; t < targets.length; t++) {
                    if (weights[t] > 0) {
                        trained.add(targets[t]);
                    }
                }
                String expected = template == ChatTemplate.TURNS
                        ? "Hello Ana. It ships today.<|end|>You are welcome.<|end|>"
                        : " Hello Ana. It ships today.<|end|> You are welcome.<|end|>";
                assertEquals(expected, tokenizer.decode(trained.stream().mapToInt(Integer::intValue).toArray()), template.wireName());
                assertEquals(trained.size(), batch.trainedTokens());
                // Everything after the conversation is padding, never trained.
                int real = e.size() + 1; // <|endoftext|> + conversation
                for (int t = real - 1; t < targets.length; t++) {
                    assertEquals(0f, weights[t], "padding target " + t);
                }
            }
        }
    }
}
