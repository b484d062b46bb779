package dev.chatforge.finetune;

import ai.djl.Device;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.tokenizer.ChatTemplate;
import dev.chatforge.data.Role;
import dev.chatforge.data.Turn;
import dev.chatforge.io.Json;
import dev.chatforge.io.Manifest;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.tokenizer.BpeTrainer;
import dev.chatforge.tokenizer.ChatTokenizer;
import dev.chatforge.tokenizer.TokenFileWriter;
import dev.chatforge.tokenizer.WordCounter;
import dev.chatforge.train.Checkpoint;
import dev.chatforge.train.TrainerState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A small support-dialogue task for fine-tuning tests: a tokenizer trained on it, token files
 * shaped like the tokenize stage's output (with the loss mask), and an untrained "parent"
 * checkpoint carrying that tokenizer.
 */
final class DialogueFixture {
    private DialogueFixture() {}

    static final String[][] QA = {
            {"How do I reset my password?", "Open settings, choose security, then reset password."},
            {"Where is my order?", "Your order ships in two days; the tracking link is in your email."},
            {"Can I get a refund?", "Yes, refunds take five days after we receive the item."},
            {"How do I change my address?", "Go to your profile and edit the delivery address."},
            {"Do you ship abroad?", "We ship to most countries; fees show at checkout."},
            {"My app crashes on start.", "Please update the app and restart your phone."},
    };
    static final String[] NAMES = {"Ana", "Bo", "Chen", "Dee", "Eli", "Fay", "Gus", "Hal"};

    static List<List<Turn>> conversations(int count, long seed) {
        Random random = new Random(seed);
        List<List<Turn>> out = new ArrayList<>();
        for (int c = 0; c < count; c++) {
            List<Turn> turns = new ArrayList<>();
            if (random.nextBoolean()) {
                turns.add(new Turn(Role.SYSTEM, "You are a helpful support agent."));
            }
            int exchanges = 1 + random.nextInt(2);
            for (int e = 0; e < exchanges; e++) {
                String[] qa = QA[random.nextInt(QA.length)];
                String name = NAMES[random.nextInt(NAMES.length)];
                turns.add(new Turn(Role.USER, "Hi, I am " + name + ". " + qa[0]));
                turns.add(new Turn(Role.AGENT, "Hello " + name + ". " + qa[1]));
            }
            out.add(turns);
        }
        return out;
    }

    /** Trains a byte-level BPE on the task's text and writes {@code dir/tokenizer.json}. */
    static Path tokenizer(Path dir, int vocabSize) throws IOException {
        WordCounter counter = new WordCounter(ChatTemplate.SPECIAL_TOKENS);
        for (List<Turn> conversation : conversations(200, 99)) {
            counter.add(ChatTemplate.join(ChatTemplate.TURNS.render(conversation)));
        }
        BpeTrainer.Result result = BpeTrainer.train(counter.counts(), vocabSize, 2, ChatTemplate.SPECIAL_TOKENS);
        Files.createDirectories(dir);
        Path file = dir.resolve("tokenizer.json");
        Files.write(file, result.toTokenizerJson());
        return file;
    }

    /** A tokenize-stage output folder: tokenizer.json, train.bin and val.bin with loss masks, manifest.json. */
    static Path tokens(Path dir, Path tokenizerJson, int trainConversations, int valConversations) throws IOException {
        Files.createDirectories(dir);
        Path tokenizerCopy = dir.resolve("tokenizer.json");
        Files.copy(tokenizerJson, tokenizerCopy);
        ObjectNode stats = Json.MAPPER.createObjectNode();
        List<Manifest.FileEntry> outputs = new ArrayList<>();
        outputs.add(Manifest.FileEntry.of(tokenizerCopy, dir));
        try (ChatTokenizer tokenizer = ChatTokenizer.load(tokenizerCopy)) {
            stats.put("vocab_size", tokenizer.vocabSize());
            stats.put("template", "turns");
            stats.put("has_loss_mask", true);
            ObjectNode splits = stats.putObject("splits");
            for (String split : List.of("train", "val")) {
                List<List<Turn>> convs = split.equals("train") ? conversations(trainConversations, 1)
                        : conversations(valConversations, 2);
                Path file = dir.resolve(split + ".bin");
                long tokens;
                try (TokenFileWriter writer = new TokenFileWriter(file, tokenizer.vocabSize(), true)) {
                    for (List<Turn> conversation : convs) {
                        ChatTokenizer.Encoded e = tokenizer.encode(ChatTemplate.TURNS, conversation);
                        writer.write(e.ids(), 0, e.size(), e.mask());
                        writer.write(tokenizer.endOfTextId(), false); // as the tokenize stage separates records
                    }
                    tokens = writer.tokens();
                    writer.finish();
                }
                splits.putObject(split).put("file", split + ".bin").put("tokens", tokens).put("text_bytes", -1)
                        .put("records", convs.size()).put("conversations", convs.size()).put("has_loss_mask", true);
                outputs.add(Manifest.FileEntry.of(file, dir));
            }
        }
        Manifest.create("tokenize", List.of(), Json.MAPPER.createObjectNode(), stats, outputs).writeTo(dir);
        return dir;
    }

    /** An untrained checkpoint folder with the tokenizer, as train writes one. */
    static Path parentCheckpoint(Path dir, Path tokenizerJson, int vocabSize, int nPositions) {
        GPT2Config config = GPT2Config.of(vocabSize, nPositions, 32, 2, 2);
        try (GPT2 model = GPT2.create(config, Device.cpu(), 7)) {
            ObjectNode run = Json.MAPPER.createObjectNode().put("stage", "train");
            Checkpoint.save(dir, model, null, TrainerState.start(7, run), tokenizerJson, null);
        }
        return dir;
    }
}
