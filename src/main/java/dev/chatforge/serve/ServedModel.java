package dev.chatforge.serve;

import dev.chatforge.chat.DecodingSequence;
import dev.chatforge.chat.GenerateConfig;
import dev.chatforge.chat.LoadedModel;
import dev.chatforge.chat.NextTokenModel;
import dev.chatforge.chat.Sampler;
import dev.chatforge.chat.StopCondition;
import dev.chatforge.tokenizer.ChatTemplate;
import dev.chatforge.tokenizer.ChatTokenizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A loaded checkpoint as the API sees it: requests become prompt ids the way {@code chat} and
 * {@code generate} build them ({@code <|endoftext|>}, then the conversation rendered with the
 * checkpoint's own chat template, or the prompt as plain text), so a user's text is always text
 * and never a control token. A prompt longer than the context is refused, and {@code max_tokens}
 * is capped by what the context leaves.
 */
public final class ServedModel {
    private final LoadedModel loaded;
    private final NextTokenModel nextTokenModel;
    private final ChatTokenizer tokenizer;
    private final String name;
    private final ChatTemplate template;
    private final boolean fineTuned;
    private final boolean hasChatTokens;
    private final Set<Integer> chatStopIds = new HashSet<>();
    private final Set<Integer> completionStopIds = new HashSet<>();

    /** A request turned into ids, with its generation limits. */
    public record Prepared(int[] prompt, int maxTokens, StopCondition stop) {}

    /**
     * @param templateName auto (the checkpoint's own), turns or inst
     */
    public ServedModel(LoadedModel loaded, String name, String templateName) {
        this(loaded, name, templateName, java.util.function.UnaryOperator.identity());
    }

    /** The same, with the model seen through {@code wrap} (tests slow it down to fill the queue). */
    ServedModel(LoadedModel loaded, String name, String templateName,
                java.util.function.UnaryOperator<NextTokenModel> wrap) {
        this.loaded = loaded;
        this.nextTokenModel = wrap.apply(loaded.nextTokenModel());
        this.tokenizer = loaded.tokenizer();
        this.name = name;
        ChatTemplate trained = loaded.fineTunedTemplate();
        this.fineTuned = trained != null;
        this.template = templateName.equals("auto") ? (trained != null ? trained : ChatTemplate.TURNS)
                : ChatTemplate.parse(templateName);
        this.hasChatTokens = tokenizer.missingSpecialTokens(template.controlTokens()).isEmpty();
        for (String special : ChatTemplate.SPECIAL_TOKENS) {
            Integer id = tokenizer.specialTokens().get(special);
            if (id != null) {
                chatStopIds.add(id);
            }
        }
        for (String special : GenerateConfig.DEFAULT_STOP_TOKENS) {
            Integer id = tokenizer.specialTokens().get(special);
            if (id != null) {
                completionStopIds.add(id);
            }
        }
    }

    public String name() {
        return name;
    }

    public int blockSize() {
        return loaded.blockSize();
    }

    public NextTokenModel nextTokenModel() {
        return nextTokenModel;
    }

    /** Whether /v1/chat/completions can render conversations (the tokenizer has the template's tokens). */
    public boolean canChat() {
        return hasChatTokens;
    }

    public Prepared prepare(CompletionRequest request) {
        int[] body;
        Set<Integer> stopIds;
        List<String> stopStrings = new ArrayList<>(request.stop());
        String param;
        if (request.messages() != null) {
            if (!hasChatTokens) {
                throw ApiError.invalid("messages", "model '" + name + "' has no chat tokens ("
                        + tokenizer.missingSpecialTokens(template.controlTokens()) + " are missing from its tokenizer): it "
                        + "cannot render a conversation; use /v1/completions with a prompt, or fine-tune it with "
                        + "`chatforge finetune`");
            }
            body = encode(() -> tokenizer.encodeSegments(template.renderForReply(request.messages())).ids());
            stopIds = chatStopIds;
            if (!fineTuned) {
                stopStrings.add("\n"); // a model never tuned on turns does not close them: one line per reply, as chat does
            }
            param = "messages";
        } else {
            body = encode(() -> tokenizer.encode(request.prompt()));
            stopIds = completionStopIds;
            param = "prompt";
        }
        int[] prompt = new int[body.length + 1];
        prompt[0] = tokenizer.endOfTextId();
        System.arraycopy(body, 0, prompt, 1, body.length);
        int context = blockSize();
        if (prompt.length >= context) {
            throw new ApiError(400, "invalid_request_error", param, "context_length_exceeded",
                    "this model's context is " + context + " tokens; the " + param + " take " + prompt.length
                            + " tokens (at most " + (context - 1) + " leave room for a reply): send a shorter " + param);
        }
        int room = context - prompt.length;
        int maxTokens = request.maxTokens() == null ? room : Math.min(request.maxTokens(), room);
        return new Prepared(prompt, maxTokens, new StopCondition(stopIds, stopStrings));
    }

    // The tokenizer keeps a cache of encoded words: one thread at a time (request threads encode,
    // the batch thread decodes).
    private int[] encode(java.util.function.Supplier<int[]> encoding) {
        synchronized (tokenizer) {
            return encoding.get();
        }
    }

    private String decode(int[] ids) {
        synchronized (tokenizer) {
            return tokenizer.decode(ids);
        }
    }

    /** The sequence to decode for a prepared request; {@code onText} receives the text as it becomes final. */
    public DecodingSequence sequence(Prepared prepared, CompletionRequest request, Consumer<String> onText) {
        Sampler sampler = new Sampler(request.temperature(), request.topK(), request.topP(), request.seed());
        return new DecodingSequence(blockSize(), prepared.prompt(), prepared.maxTokens(), sampler, prepared.stop(),
                this::decode, onText);
    }
}
