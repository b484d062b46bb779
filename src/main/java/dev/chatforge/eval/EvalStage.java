package dev.chatforge.eval;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.config.ConfigException;
import dev.chatforge.io.AtomicFiles;
import dev.chatforge.io.Json;
import dev.chatforge.io.Progress;
import dev.chatforge.io.StageInputException;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.model.Precision;
import dev.chatforge.tokenizer.TokenFile;
import dev.chatforge.tokenizer.TokenizerExtension;
import dev.chatforge.train.Checkpoint;
import dev.chatforge.model.Devices;
import dev.chatforge.tokenizer.TokenizedData;
import dev.chatforge.train.TokenizerCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code chatforge eval}: mean cross-entropy of a checkpoint over every token of a split, its
 * perplexity exp(mean loss), and bits per byte (total loss in bits / UTF-8 bytes of the split's
 * text, comparable across tokenizers). Human-readable report on stdout; JSON to {@code report}.
 */
public final class EvalStage {
    private EvalStage() {}

    public static ObjectNode run(EvalConfig config, boolean force) {
        if (config.report() != null) {
            AtomicFiles.checkWritable(config.report(), force);
        }
        TokenizedData data = TokenizedData.read(config.data());
        TokenFile tokens = data.open(config.split());
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
        long textBytes = data.textBytes(config.split());
        ObjectNode report = Json.MAPPER.createObjectNode();
        report.put("checkpoint", config.checkpoint().toString());
        if (step >= 0) {
            report.put("step", step);
        }
        report.put("data", config.data().toString());
        report.put("split", config.split());
        report.put("tokens_scored", result.tokens());
        report.put("scored", scoredDescription(masked, data.split(config.split())));
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
                config.checkpoint(), config.data(), config.split(), result.tokens(),
                masked ? ", " + report.get("scored").asText() : "", stride == block ? "non-overlapping" : "sliding", block, stride);
        System.out.printf(Locale.ROOT, "  loss           %.4f nats/token%n", result.meanLoss());
        System.out.printf(Locale.ROOT, "  perplexity     %.3f%n", result.perplexity());
        System.out.printf(Locale.ROOT, "  bits per byte  %s%n", report.get("bits_per_byte").isNull()
                ? "n/a (the tokenize manifest has no text_bytes)"
                : String.format(Locale.ROOT, "%.4f%s", report.get("bits_per_byte").asDouble(),
                        masked ? " (over all " + String.format(Locale.ROOT, "%,d", result.allTokens()) + " tokens)" : ""));
        System.out.printf(Locale.ROOT, "  speed          %,d tokens/s%n", report.get("tokens_per_sec").asLong());
        if (config.report() != null) {
            try {
                AtomicFiles.writeString(config.report(), Json.MAPPER.writeValueAsString(report) + "\n");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            System.err.println("eval: report written to " + config.report());
        }
        return report;
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
