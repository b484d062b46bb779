package dev.chatforge.eval.answers;

import dev.chatforge.data.Record;
import dev.chatforge.data.Role;
import dev.chatforge.data.Turn;
import dev.chatforge.io.Json;
import dev.chatforge.io.StageInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An agent turn of a prepared conversation that answers a user turn: what the model is asked
 * to reply to (the conversation before it, ending with the user's message) and the reference
 * reply. Read from a prepared split ({@code val.jsonl}) in file order.
 *
 * @param recordId the conversation's id
 * @param turn     the agent turn's index in the conversation
 * @param context  the turns before it (persona and earlier exchanges as the data has them)
 * @param reference the agent's reply in the data
 */
public record ReferenceTurn(String recordId, int turn, List<Turn> context, String reference) {

    /** The first {@code limit} agent turns that follow a user turn in {@code file}. */
    public static List<ReferenceTurn> firstOf(Path file, int limit) {
        List<ReferenceTurn> out = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long number = 0;
            for (String line; out.size() < limit && (line = reader.readLine()) != null; ) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                Record record;
                try {
                    record = Json.COMPACT.readValue(line, Record.class);
                } catch (IOException e) {
                    throw new StageInputException(file + ":" + number + ": not a valid prepared record: " + e.getMessage());
                }
                if (record == null || !record.isConversation()) {
                    continue;
                }
                List<Turn> messages = record.messages();
                for (int i = 1; i < messages.size() && out.size() < limit; i++) {
                    if (messages.get(i).role() == Role.AGENT && messages.get(i - 1).role() == Role.USER) {
                        out.add(new ReferenceTurn(record.id(), i, List.copyOf(messages.subList(0, i)), messages.get(i).content()));
                    }
                }
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw new StageInputException(file + ": not found");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new StageInputException(file + ": has no agent turn that answers a user turn, so eval.answers has nothing "
                    + "to generate (it needs conversations: prepared dialogues with user and agent turns)");
        }
        return out;
    }
}
