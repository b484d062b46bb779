package dev.chatforge.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.chatforge.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON Lines, one object per line, in any of three shapes:
 * <ul>
 *   <li>a pair {@code {"user": "...", "agent": "..."}} with an optional {@code "system"};</li>
 *   <li>multi-turn {@code {"messages": [{"role": "user|agent|assistant|system", "content": "..."}]}};</li>
 *   <li>a document {@code {"text": "..."}} (so prepared output can be read back in).</li>
 * </ul>
 * Other keys ({@code "id"}, {@code "category"}, ...) are ignored. Blank lines are skipped.
 * Each line gets its own streaming parser over the line's bytes, so a malformed line costs only
 * that line.
 */
final class JsonlReader implements RawReader {
    private static final JsonFactory FACTORY = Json.COMPACT.getFactory();

    private final long maxLineBytes;

    JsonlReader(long maxLineBytes) {
        this.maxLineBytes = maxLineBytes;
    }

    JsonlReader() {
        this(InputSpec.DEFAULT_MAX_LINE_BYTES);
    }

    @Override
    public void read(InputStream in, String name, RecordSink sink) throws IOException {
        LineReader lines = new LineReader(in, maxLineBytes);
        while (lines.next()) {
            if (lines.isBlank()) {
                continue;
            }
            long line = lines.lineNumber();
            if (lines.isTooLong()) {
                sink.problem(new Problem(DropReason.TOO_LONG, name, line, "line of " + (lines.length() >= Integer.MAX_VALUE
                        ? "2 GB or more" : lines.length() + " bytes") + " is longer than max_line_bytes (" + maxLineBytes
                        + "); raise max_line_bytes in this input's entry to read it"));
                continue;
            }
            if (!lines.isValidUtf8()) {
                sink.problem(new Problem(DropReason.INVALID_UTF8, name, line, "invalid UTF-8"));
                continue;
            }
            try (JsonParser parser = FACTORY.createParser(lines.buffer(), lines.start(), lines.length())) {
                Object parsed = parseLine(parser, name + ":" + line);
                if (parsed instanceof Record record) {
                    sink.record(record);
                } else {
                    Bad bad = (Bad) parsed;
                    sink.problem(new Problem(bad.reason, name, line, bad.detail));
                }
            } catch (JsonProcessingException e) {
                sink.problem(new Problem(DropReason.MALFORMED_JSON, name, line, "malformed JSON" + where(e) + ": " + reason(e)));
            }
        }
    }

    private static String where(JsonProcessingException e) {
        return e.getLocation() != null && e.getLocation().getColumnNr() > 0 ? " at column " + e.getLocation().getColumnNr() : "";
    }

    /** Jackson's message without its source-location appendix, on one line. */
    private static String reason(JsonProcessingException e) {
        String message = e.getOriginalMessage().replace('\n', ' ');
        int appendix = message.indexOf(" (start marker at");
        return appendix < 0 ? message : message.substring(0, appendix);
    }

    /** A line that parsed as JSON but is not a record we understand. */
    private record Bad(DropReason reason, String detail) {}

    private static Object parseLine(JsonParser p, String source) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            return new Bad(DropReason.MALFORMED_JSON, "malformed JSON: expected an object {...} per line");
        }
        String user = null;
        String agent = null;
        String system = null;
        String text = null;
        List<Turn> messages = null;
        for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "user", "agent", "system", "text" -> {
                    if (value != JsonToken.VALUE_STRING) {
                        return new Bad(DropReason.MISSING_FIELD, "'" + field + "' must be a string, got " + describe(value));
                    }
                    String s = p.getText();
                    switch (field) {
                        case "user" -> user = s;
                        case "agent" -> agent = s;
                        case "system" -> system = s;
                        default -> text = s;
                    }
                }
                case "messages" -> {
                    if (value != JsonToken.START_ARRAY) {
                        return new Bad(DropReason.MISSING_FIELD, "'messages' must be a list, got " + describe(value));
                    }
                    messages = new ArrayList<>();
                    Object bad = parseMessages(p, messages);
                    if (bad != null) {
                        return bad;
                    }
                }
                default -> p.skipChildren();
            }
        }
        if (p.currentToken() != JsonToken.END_OBJECT) {
            return new Bad(DropReason.MALFORMED_JSON, "malformed JSON: unexpected " + p.currentToken());
        }
        if (p.nextToken() != null) {
            return new Bad(DropReason.MALFORMED_JSON, "malformed JSON: more than one value on the line");
        }
        int shapes = (messages != null ? 1 : 0) + (text != null ? 1 : 0) + (user != null || agent != null ? 1 : 0);
        if (shapes > 1) {
            return new Bad(DropReason.MISSING_FIELD, "mixes 'messages', 'text' and 'user'/'agent'; use one shape per line");
        }
        if (messages != null) {
            if (system != null) {
                messages.add(0, new Turn(Role.SYSTEM, system));
            }
            return Record.conversation(null, source, messages);
        }
        if (text != null) {
            return Record.document(null, source, text);
        }
        if (user == null || agent == null) {
            if (user == null && agent == null) {
                return new Bad(DropReason.MISSING_FIELD, "has none of 'user'+'agent', 'messages' or 'text'");
            }
            return new Bad(DropReason.MISSING_FIELD, "has '" + (user == null ? "agent" : "user") + "' but no '"
                    + (user == null ? "user" : "agent") + "'");
        }
        List<Turn> turns = new ArrayList<>(3);
        if (system != null) {
            turns.add(new Turn(Role.SYSTEM, system));
        }
        turns.add(new Turn(Role.USER, user));
        turns.add(new Turn(Role.AGENT, agent));
        return Record.conversation(null, source, turns);
    }

    /** Reads the turns of a "messages" array; returns a Bad when one is not usable. */
    private static Object parseMessages(JsonParser p, List<Turn> out) throws IOException {
        int index = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken(), index++) {
            if (t != JsonToken.START_OBJECT) {
                return new Bad(DropReason.MISSING_FIELD, "messages[" + index + "] must be an object, got " + describe(t));
            }
            String roleName = null;
            String content = null;
            for (JsonToken f = p.nextToken(); f == JsonToken.FIELD_NAME; f = p.nextToken()) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("role") || field.equals("content")) {
                    if (value != JsonToken.VALUE_STRING) {
                        return new Bad(DropReason.MISSING_FIELD, "messages[" + index + "]." + field + " must be a string, got "
                                + describe(value));
                    }
                    if (field.equals("role")) {
                        roleName = p.getText();
                    } else {
                        content = p.getText();
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (roleName == null || content == null) {
                return new Bad(DropReason.MISSING_FIELD, "messages[" + index + "] has no '" + (roleName == null ? "role" : "content") + "'");
            }
            Role role = Role.parse(roleName);
            if (role == null) {
                return new Bad(DropReason.UNKNOWN_ROLE, "messages[" + index + "]: unknown role '" + roleName
                        + "' (expected system, user, agent or assistant)");
            }
            out.add(new Turn(role, content));
        }
        return null;
    }

    private static String describe(JsonToken token) {
        if (token == null) {
            return "nothing";
        }
        return switch (token) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "a list";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> token.toString();
        };
    }
}
