package dev.chatforge.data;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One unit of prepared data, the single schema every stage after prepare reads: either a text
 * document ({@code text} set, {@code messages} null) or a conversation ({@code messages} set,
 * {@code text} null). One JSON object per line in {@code train.jsonl} / {@code val.jsonl}.
 *
 * @param id     stable content hash (hex), also what the train/validation split is decided by
 * @param source where it came from, "file:line" of the raw input
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Record(String id, String source, String text, List<Turn> messages) {

    public static Record document(String id, String source, String text) {
        return new Record(id, source, text, null);
    }

    public static Record conversation(String id, String source, List<Turn> messages) {
        return new Record(id, source, null, List.copyOf(messages));
    }

    @JsonIgnore
    public boolean isConversation() {
        return messages != null;
    }
}
