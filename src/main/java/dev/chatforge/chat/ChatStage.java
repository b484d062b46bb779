package dev.chatforge.chat;

import dev.chatforge.config.ConfigException;
import dev.chatforge.io.StageInputException;
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
            java.util.List<String> missing = template.controlTokens().stream()
                    .filter(token -> !model.tokenizer().hasAddedToken(token)).toList();
            if (!missing.isEmpty()) {
                throw new StageInputException(config.checkpoint() + ": its tokenizer lacks " + missing + ", which the '"
                        + template.wireName() + "' chat template needs: the model was not fine-tuned for chat (e.g. a "
                        + "Hugging Face GPT-2 folder). Fine-tune it on dialogues with `chatforge finetune` (which adds "
                        + "the chat tokens), or continue text with `chatforge generate`");
            }
            if (trained == null) {
                err.println("chat: " + config.checkpoint() + " was not fine-tuned on conversations; replies also end at a "
                        + "newline (fine-tune it with `chatforge finetune` for real turns)");
            }
            ReplyModel replies = new CheckpointReplyModel(model, config.sampler(), config.stop(), trained == null);
            ChatSession session;
            try {
                session = new ChatSession(template, replies, config.persona(), config.maxNewTokens());
            } catch (ChatSession.ContextOverflowException e) {
                throw new ConfigException("key 'chat.persona': " + e.getMessage());
            }
            return new ChatRepl(session, in, out, err, interactive).run();
        }
    }
}
