package dev.chatforge.serve;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chatforge.io.Json;
import dev.chatforge.model.GPT2;
import dev.chatforge.model.GPT2Config;
import dev.chatforge.tokenizer.BpeTrainer;
import dev.chatforge.tokenizer.ChatTemplate;
import dev.chatforge.tokenizer.WordCounter;
import dev.chatforge.train.Checkpoint;
import dev.chatforge.train.TrainerState;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A tiny checkpoint to serve (its own BPE tokenizer with the chat tokens, random weights) and an HTTP client. */
final class ServeFixture {
    static final String KEY = "test-key-123";
    static final HttpClient CLIENT = HttpClient.newHttpClient();

    private ServeFixture() {}

    /** A checkpoint marked as fine-tuned with the turns template, {@code positions} tokens of context. */
    static Path checkpoint(Path dir, int positions) throws IOException {
        WordCounter counter = new WordCounter(ChatTemplate.SPECIAL_TOKENS);
        List<String> lines = List.of("Where is my order? It shipped on Monday and should arrive soon.",
                "Can I get a refund for the blue shirt? Yes, within thirty days of delivery.",
                "Thanks for your help, have a nice day! You are welcome.",
                "My password does not work; reset it from the login page, then sign in again.");
        for (int i = 0; i < 20; i++) {
            lines.forEach(counter::add);
        }
        BpeTrainer.Result trained = BpeTrainer.train(counter.counts(), 320, 2, ChatTemplate.SPECIAL_TOKENS);
        Files.createDirectories(dir);
        Path tokenizer = dir.resolve("tokenizer-source.json");
        Files.write(tokenizer, trained.toTokenizerJson());
        GPT2Config config = new GPT2Config(trained.vocab().size(), positions, 32, 2, 2, "gelu", 0, 0, 0, 1e-5, 0.3);
        Path checkpoint = dir.resolve("ckpt");
        try (GPT2 model = GPT2.create(config, Device.cpu(), 7)) {
            ObjectNode run = Json.MAPPER.createObjectNode().put("stage", "finetune").put("chat_template", "turns");
            Checkpoint.save(checkpoint, model, null, TrainerState.start(1, run), tokenizer, null);
        }
        return checkpoint;
    }

    static ServeConfig config(Path checkpoint) {
        ServeConfig d = ServeConfig.defaults();
        return new ServeConfig(checkpoint, "127.0.0.1", 0, "tiny", null, false, List.of(), d.maxBody(), d.maxConcurrent(),
                d.maxQueue(), d.requestTimeout(), "auto", "cpu");
    }

    static HttpRequest.Builder request(int port, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    }

    static HttpResponse<String> post(int port, String path, String body, String key) throws Exception {
        HttpRequest.Builder r = request(port, path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            r.header("Authorization", "Bearer " + key);
        }
        return CLIENT.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(int port, String path, String key) throws Exception {
        HttpRequest.Builder r = request(port, path).GET();
        if (key != null) {
            r.header("Authorization", "Bearer " + key);
        }
        return CLIENT.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> response) throws IOException {
        return Json.MAPPER.readTree(response.body());
    }

    /** The JSON objects of a server-sent event stream's data lines, and whether it ended with [DONE]. */
    static List<String> dataLines(String body) {
        return body.lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
    }
}
