package dev.chatforge.eval.answers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.chat.ReplyModel;
import dev.chatforge.data.Role;
import dev.chatforge.data.Turn;
import dev.chatforge.io.Json;
import dev.chatforge.io.Progress;
import dev.chatforge.tokenizer.ChatTemplate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code eval.answers}: the model's reply to each reference turn, generated as chat would (the
 * chat template, greedy, stopping at the end of the turn), scored against the reference with
 * {@link TextOverlap}. Each turn sees the conversation as the data has it, not the model's own
 * earlier replies, so two checkpoints answer exactly the same prompts.
 */
public final class AnswerQuality {
    private AnswerQuality() {}

    /** One generated answer with its scores. */
    public record Answer(ReferenceTurn turn, String generated, TextOverlap.Scores scores) {}

    /** Means over the answers. */
    public record Summary(int turns, double rougeL, double tokenF1, double exactMatch) {}

    public static List<Answer> generate(List<ReferenceTurn> turns, ChatTemplate template, ReplyModel model, int maxNewTokens) {
        List<Answer> out = new ArrayList<>(turns.size());
        try (Progress progress = new Progress("answers", turns.size(), "turns")) {
            for (ReferenceTurn turn : turns) {
                List<ChatTemplate.Segment> prompt = fit(turn.context(), template, model, maxNewTokens);
                int room = Math.max(1, Math.min(maxNewTokens, model.blockSize() - model.countTokens(prompt)));
                String generated = model.reply(prompt, room, null).strip();
                out.add(new Answer(turn, generated, TextOverlap.score(turn.reference(), generated)));
                progress.add(1);
            }
        }
        return out;
    }

    /**
     * The prompt for a reply: the whole context when it leaves room for {@code maxNewTokens},
     * else without its oldest non-system turns (the generator drops the oldest tokens of a user
     * message that alone is too long).
     */
    static List<ChatTemplate.Segment> fit(List<Turn> context, ChatTemplate template, ReplyModel model, int maxNewTokens) {
        int budget = model.blockSize() - Math.min(maxNewTokens, model.blockSize() / 2);
        List<Turn> kept = new ArrayList<>(context);
        List<ChatTemplate.Segment> prompt = template.renderForReply(kept);
        while (model.countTokens(prompt) > budget) {
            int first = 0;
            while (first < kept.size() - 1 && kept.get(first).role() == Role.SYSTEM) {
                first++;
            }
            if (first >= kept.size() - 1) {
                break; // only the persona and the user's message are left
            }
            kept.remove(first);
            prompt = template.renderForReply(kept);
        }
        return prompt;
    }

    public static Summary summarize(List<Answer> answers) {
        double r = 0;
        double f = 0;
        double e = 0;
        for (Answer a : answers) {
            r += a.scores().rougeL();
            f += a.scores().tokenF1();
            e += a.scores().exactMatch();
        }
        int n = answers.size();
        return new Summary(n, r / n, f / n, e / n);
    }

    /**
     * answers.jsonl: one object per turn, into {@code file} (the eval stage's output owner's
     * temporary file, published under its name when the report is complete).
     */
    public static void write(Path file, List<Answer> answers) {
        StringBuilder out = new StringBuilder();
        try {
            for (Answer a : answers) {
                ObjectNode line = Json.COMPACT.createObjectNode();
                line.put("record", a.turn().recordId());
                line.put("turn", a.turn().turn());
                ArrayNode context = line.putArray("context");
                for (Turn t : a.turn().context()) {
                    context.addObject().put("role", t.role().wireName()).put("content", t.content());
                }
                line.put("reference", a.turn().reference());
                line.put("generated", a.generated());
                line.put("rouge_l", a.scores().rougeL());
                line.put("token_f1", a.scores().tokenF1());
                line.put("exact_match", a.scores().exactMatch());
                out.append(Json.COMPACT.writeValueAsString(line)).append('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Files.writeString(file, out.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code file} is an answers file eval wrote (its first line a scored turn), so --force may replace it. */
    public static boolean isAnswers(Path file) {
        try (java.io.BufferedReader in = Files.newBufferedReader(file)) {
            String first = in.readLine();
            if (first == null) {
                return true; // no turns: an empty file is what write makes of none
            }
            JsonNode line = Json.MAPPER.readTree(first);
            return line != null && line.isObject() && line.has("reference") && line.has("generated") && line.has("rouge_l");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Where answers go beside a report: {@code eval.json} → {@code answers.jsonl}, {@code eval-x.json} → {@code answers-x.jsonl}. */
    public static Path fileBeside(Path report) {
        String name = report.getFileName().toString();
        String stem = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        String answers = stem.startsWith("eval") ? "answers" + stem.substring(4) + ".jsonl" : stem + ".answers.jsonl";
        Path parent = report.getParent();
        return parent == null ? Path.of(answers) : parent.resolve(answers);
    }
}
