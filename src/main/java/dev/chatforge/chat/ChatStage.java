package dev.chatforge.chat;

import dev.chatforge.tokenizer.ChatTemplate;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;

/**
 * {@code chatforge chat}: loads a checkpoint and runs the {@link ChatRepl} on the given streams
 * (a terminal, or a script's pipes).
 */
public final class ChatStage {
    private ChatStage() {}

    /** Returns the number of replies given. */
    public static int run(ChatConfig config, BufferedReader in, PrintStream out, PrintStream err, boolean interactive)
            throws IOException {
        try (LoadedModel model = LoadedModel.load(config.checkpoint(), config.device(), config.precision())) {
            ChatTemplate trained = model.fineTunedTemplate();
            ChatTemplate template = config.template().equals("auto")
                    ? (trained != null ? trained : ChatTemplate.TURNS) : ChatTemplate.parse(config.template());
            if (trained == null) {
                err.println("chat: " + config.checkpoint() + " was not fine-tuned on conversations; replies also end at a "
                        + "newline (fine-tune it with `chatforge finetune` for real turns)");
            }
            ReplyModel replies = new CheckpointReplyModel(model, config.sampler(), config.stop(), trained == null);
            ChatSession session = new ChatSession(template, replies, config.persona(), config.maxNewTokens());
            return new ChatRepl(session, in, out, err, interactive).run();
        }
    }
}
