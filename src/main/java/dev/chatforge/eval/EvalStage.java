package dev.chatforge.eval;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.config.ConfigException;
import dev.chatforge.io.Json;
import dev.chatforge.io.Progress;
import dev.chatforge.io.StageInputException;
import dev.chatforge.io.StageOutput;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.model.Precision;
import dev.chatforge.tokenizer.TokenFile;
import dev.chatforge.tokenizer.TokenizerExtension;
import dev.chatforge.train.Checkpoint;
import dev.chatforge.model.Devices;
import dev.chatforge.tokenizer.TokenizedData;
import dev.chatforge.train.TokenizerCheck;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.chatforge.chat.CheckpointReplyModel;
import dev.chatforge.chat.LoadedModel;
import dev.chatforge.chat.ReplyModel;
import dev.chatforge.chat.Sampler;
import dev.chatforge.eval.answers.AnswerQuality;
import dev.chatforge.eval.answers.ReferenceTurn;
import dev.chatforge.eval.benchmark.Benchmark;
import dev.chatforge.eval.benchmark.BenchmarkScorer;
import dev.chatforge.io.Manifest;
import dev.chatforge.tokenizer.ChatTemplate;

/**
 * {@code chatforge eval}: mean cross-entropy of a checkpoint over every token of a split, its
 * perplexity exp(mean loss), and bits per byte (total loss in bits / UTF-8 bytes of the split's
 * text, comparable across tokenizers). Human-readable report on stdout; JSON to {@code report}.
 */
public final class EvalStage {
    public static final String STAGE = "eval";

    private EvalStage() {}

    /**
     * Scores the checkpoint; with {@code report}, writes the JSON there through a {@link StageOutput}
     * (taken before the work: a report path that overlaps the checkpoint or the data, or names a
     * file that is not an eval report, is refused before anything is scored).
     */
    public static ObjectNode run(EvalConfig config, boolean force) {
        if (config.report() == null) {
            return evaluate(config, null); // answers need a report (EvalConfig checks it)
        }
        Path answersFile = config.answers() > 0 ? AnswerQuality.fileBeside(config.report()) : null;
        try (StageOutput out = StageOutput.file(STAGE, config.report()).reads(config.checkpoint(), config.data())
                .recognizedBy(EvalStage::isReport, "an eval report").force(force).open();
             StageOutput answers = answersFile == null ? null : StageOutput.file(STAGE, answersFile)
                     .reads(config.checkpoint(), config.data())
                     .recognizedBy(AnswerQuality::isAnswers, "an eval answers file").force(force).open()) {
            ObjectNode report = evaluate(config, answers == null ? null : new AnswersOutput(answers.path(), answersFile));
            Files.writeString(out.path(), Json.MAPPER.writeValueAsString(report) + "\n");
            if (answers != null) {
                answers.commit();
            }
            out.commit();
            System.err.println("eval: report written to " + config.report());
            return report;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + config.report() + ": " + e.getMessage(), e);
        }
    }

    /** Where answers.jsonl is written ({@code temp}, its output owner's) and the name it is published under. */
    private record AnswersOutput(Path temp, Path published) {}

    /**
     * Whether {@code file} is a report eval wrote (a JSON object with its keys: a perplexity or a
     * benchmark report), so --force may replace it.
     */
    static boolean isReport(Path file) {
        try {
            JsonNode node = Json.MAPPER.readTree(file.toFile());
            return node != null && node.isObject() && node.has("checkpoint")
                    && (node.has("loss") && node.has("perplexity") || node.has("benchmark"));
        } catch (IOException e) {
            return false;
        }
    }

    private static ObjectNode evaluate(EvalConfig config, AnswersOutput answersOutput) {
        // the dialogues are read first: a split without agent turns fails before any scoring
        List<ReferenceTurn> turns = config.answers() > 0 ? referenceTurns(config) : null;
        ObjectNode report = config.benchmark() != null ? benchmark(config) : perplexity(config);
        if (turns != null) {
            report.set("answers", answers(config, turns, answersOutput));
        }
        return report;
    }

    /** Loss, perplexity and bits per byte of a tokenized split. */
    private static ObjectNode perplexity(EvalConfig config) {
        String split = config.effectiveSplit();
        TokenizedData data = TokenizedData.read(config.data());
        TokenFile tokens = data.open(split);
        GPT2Config modelConfig = GPT2Config.read(requireFolder(config.checkpoint()));
        // Data with special tokens appended to the checkpoint's tokenizer (a Hub GPT-2 before
        // fine-tuning) is scored with mean embedding rows for them, as finetune starts.
        TokenizerExtension vocabulary = TokenizerCheck.requireSameOrExtended(config.checkpoint(), modelConfig, data, false);
        int vocab = vocabulary == null ? modelConfig.vocabSize() : vocabulary.vocabSize();
        int block = modelConfig.nPositions();
        int stride = config.stride() == null ? block : config.stride();
        if (stride > block) {
            throw new ConfigException("key 'eval.stride': must be <= the checkpoint's block size (n_positions = " + block
                    + "), got " + stride);
        }
        if (tokens.size() < 2) {
            throw new StageInputException(tokens.path() + ": has " + tokens.size() + " tokens; nothing to score");
        }
        Device device = Devices.resolve(config.device());
        Precision.Choice precision = Precision.resolve(config.precision(), device, modelConfig);
        System.err.println("eval: precision " + precision.describe());
        Perplexity.Result result;
        long step;
        try (Checkpoint checkpoint = Checkpoint.load(config.checkpoint(), device).withVocabSize(vocab);
             Progress progress = new Progress("eval", tokens.size() - 1, "tok")) {
            step = checkpoint.state() == null ? -1 : checkpoint.state().step();
            checkpoint.model().usePrecision(precision.precision()).keepBf16Weights();
            result = Perplexity.evaluate(checkpoint.model(), tokens, block, stride, config.batchSize(), progress);
        }
        if (result.tokens() == 0) {
            throw new StageInputException(tokens.path() + ": its loss mask marks no token as trained; nothing to score");
        }
        boolean masked = tokens.hasLossMask();
        long textBytes = data.textBytes(split);
        ObjectNode report = Json.MAPPER.createObjectNode();
        report.put("checkpoint", config.checkpoint().toString());
        if (step >= 0) {
            report.put("step", step);
        }
        report.put("data", config.data().toString());
        report.put("split", split);
        report.put("tokens_scored", result.tokens());
        report.put("scored", scoredDescription(masked, data.split(split)));
        report.put("loss", result.meanLoss());
        report.put("perplexity", result.perplexity());
        if (textBytes > 0) {
            // over every token, masked or not: the byte count is the whole text's
            report.put("bits_per_byte", result.bitsPerByte(textBytes));
            report.put("text_bytes", textBytes);
        } else {
            report.putNull("bits_per_byte");
        }
        report.put("block_size", block);
        report.put("stride", stride);
        report.put("windows", stride == block ? "non-overlapping" : "sliding");
        report.put("tokens_per_sec", Math.round((tokens.size() - 1) / result.seconds()));
        precision.putInto(report);
        report.put("seconds", Math.round(result.seconds() * 100) / 100.0);

        System.out.printf(Locale.ROOT, "eval %s on %s/%s (%,d tokens%s, %s windows of %d, stride %d)%n",
                config.checkpoint(), config.data(), split, result.tokens(),
                masked ? ", " + report.get("scored").asText() : "", stride == block ? "non-overlapping" : "sliding", block, stride);
        System.out.printf(Locale.ROOT, "  loss           %.4f nats/token%n", result.meanLoss());
        System.out.printf(Locale.ROOT, "  perplexity     %.3f%n", result.perplexity());
        System.out.printf(Locale.ROOT, "  bits per byte  %s%n", report.get("bits_per_byte").isNull()
                ? "n/a (the tokenize manifest has no text_bytes)"
                : String.format(Locale.ROOT, "%.4f%s", report.get("bits_per_byte").asDouble(),
                        masked ? " (over all " + String.format(Locale.ROOT, "%,d", result.allTokens()) + " tokens)" : ""));
        System.out.printf(Locale.ROOT, "  speed          %,d tokens/s%n", report.get("tokens_per_sec").asLong());
        return report;
    }

    /**
     * A standard benchmark ({@code eval.benchmark}), each figure shown beside the published GPT-2
     * figure it compares with.
     */
    private static ObjectNode benchmark(EvalConfig config) {
        Benchmark benchmark = Benchmark.parse(config.benchmark());
        String split = config.effectiveSplit();
        requireFolder(config.checkpoint());
        ObjectNode report = Json.MAPPER.createObjectNode();
        ObjectNode figures;
        long step;
        try (LoadedModel model = LoadedModel.loadForScoring(config.checkpoint(), config.device(), config.precision())) {
            int block = model.blockSize();
            int stride = config.stride() == null ? block : config.stride();
            if (stride > block) {
                throw new ConfigException("key 'eval.stride': must be <= the checkpoint's block size (n_positions = " + block
                        + "), got " + stride);
            }
            step = model.step();
            model.precision().putInto(report);
            figures = BenchmarkScorer.score(benchmark, config.benchmarkData(), split, model.model(), model.tokenizer(),
                    stride, config.batchSize());
        }
        report.put("checkpoint", config.checkpoint().toString());
        if (step >= 0) {
            report.put("step", step);
        }
        report.put("benchmark", benchmark.wireName());
        report.put("split", split);
        report.put("benchmark_data", config.benchmarkData() == null ? "DJL repository" : config.benchmarkData().toString());
        report.setAll(figures);
        ArrayNode published = report.putArray("published");
        for (Benchmark.PublishedFigure p : benchmark.published()) {
            published.addObject().put("metric", p.metric()).put("value", p.value()).put("source", p.source());
        }
        System.out.printf(Locale.ROOT, "eval %s on %s (%s, %,d items%s)%n", config.checkpoint(), benchmark.wireName(), split,
                figures.path("items").asLong(), figures.has("stride")
                        ? String.format(Locale.ROOT, ", %,d tokens, windows of %d, stride %d", figures.get("tokens_scored").asLong(),
                        figures.get("block_size").asInt(), figures.get("stride").asInt()) : "");
        for (String metric : List.of("loss", "perplexity", "word_perplexity", "bits_per_byte", "accuracy", "acc", "acc_norm")) {
            if (!figures.has(metric)) {
                continue;
            }
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-16s %.4f", metric, figures.get(metric).asDouble()));
            for (Benchmark.PublishedFigure p : benchmark.published()) {
                if (p.metric().equals(metric)) {
                    line.append(String.format(Locale.ROOT, "   (published: %s %s)", p.value(), p.source()));
                }
            }
            System.out.println(line);
        }
        return report;
    }

    /**
     * {@code eval.answers}: replies to the first N user turns of the split's conversations (the
     * prepared records the tokenized data was made from), scored; answers.jsonl beside the report.
     */
    private static List<ReferenceTurn> referenceTurns(EvalConfig config) {
        return ReferenceTurn.firstOf(preparedSplit(TokenizedData.read(config.data()), config.effectiveSplit()), config.answers());
    }

    private static ObjectNode answers(EvalConfig config, List<ReferenceTurn> turns, AnswersOutput output) {
        TokenizedData data = TokenizedData.read(config.data());
        Path prepared = preparedSplit(data, config.effectiveSplit());
        Path file = output.published();
        List<AnswerQuality.Answer> answers;
        ChatTemplate template;
        try (LoadedModel model = LoadedModel.load(config.checkpoint(), config.device(), config.precision())) {
            ChatTemplate trained = model.fineTunedTemplate();
            template = trained != null ? trained : dataTemplate(data);
            // a model never fine-tuned on turns never learnt to close one: its reply ends at a newline, as in chat
            ReplyModel replies = new CheckpointReplyModel(model, Sampler.greedy(), List.of(), trained == null);
            answers = AnswerQuality.generate(turns, template, replies, config.maxNewTokens());
        }
        AnswerQuality.write(output.temp(), answers);
        AnswerQuality.Summary summary = AnswerQuality.summarize(answers);
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("turns", summary.turns());
        node.put("rouge_l", summary.rougeL());
        node.put("token_f1", summary.tokenF1());
        node.put("exact_match", summary.exactMatch());
        node.put("file", file.getFileName().toString());
        node.put("dialogues", prepared.toString());
        node.put("template", template.wireName());
        node.put("max_new_tokens", config.maxNewTokens());
        node.put("decoding", "greedy");
        System.out.printf(Locale.ROOT, "  answers        %d turns of %s: ROUGE-L F1 %.4f, token F1 %.4f, exact match %.4f (%s)%n",
                summary.turns(), prepared, summary.rougeL(), summary.tokenF1(), summary.exactMatch(), file);
        return node;
    }

    /** The prepared {@code split.jsonl} the tokenize stage read, checked against the prepare manifest. */
    private static Path preparedSplit(TokenizedData data, String split) {
        JsonNode input = data.manifest().config() == null ? null : data.manifest().config().get("input");
        if (input == null || !input.isTextual()) {
            throw new StageInputException(data.dir().resolve(Manifest.FILE_NAME) + ": config.input is missing; eval.answers "
                    + "reads the prepared dialogues the tokens were made from");
        }
        Path dir = Path.of(input.asText());
        Manifest prepared = Manifest.read(dir, "prepare");
        return prepared.verifiedOutput(dir, split + ".jsonl");
    }

    private static ChatTemplate dataTemplate(TokenizedData data) {
        JsonNode template = data.manifest().config() == null ? null : data.manifest().config().get("template");
        return template != null && template.isTextual() ? ChatTemplate.parse(template.asText()) : ChatTemplate.TURNS;
    }

    /**
     * What the loss and perplexity cover, for the report: with a loss mask only trained tokens
     * count, which for purely conversational data means the agent's replies.
     */
    static String scoredDescription(boolean masked, JsonNode splitStats) {
        if (!masked) {
            return "every token after the first";
        }
        long records = splitStats.path("records").asLong(-1);
        long conversations = splitStats.path("conversations").asLong(0);
        return conversations == records
                ? "agent tokens only (loss mask: agent replies and their end-of-turn)"
                : "trained tokens only (loss mask: documents and agent turns, not user/system turns)";
    }

    private static Path requireFolder(Path checkpoint) {
        if (!Files.isDirectory(checkpoint)) {
            throw new StageInputException(checkpoint + ": checkpoint folder not found (train one with `chatforge train`)");
        }
        return checkpoint;
    }
}
