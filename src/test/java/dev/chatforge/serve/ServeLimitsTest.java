package dev.chatforge.serve;

import static dev.chatforge.serve.ServeFixture.KEY;
import static dev.chatforge.serve.ServeFixture.get;
import static dev.chatforge.serve.ServeFixture.json;
import static dev.chatforge.serve.ServeFixture.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chatforge.chat.LoadedModel;
import dev.chatforge.chat.NextTokenModel;
import dev.chatforge.config.ConfigException;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server's limits: a full queue, a client that leaves, the request timeout, loading, and who may listen where. */
class ServeLimitsTest {
    @TempDir
    static Path dir;
    private static Path checkpoint;
    private static LoadedModel loaded;

    @BeforeAll
    static void create() throws Exception {
        checkpoint = ServeFixture.checkpoint(dir, 64);
        loaded = LoadedModel.load(checkpoint, "cpu", "auto");
    }

    @AfterAll
    static void close() {
        loaded.close();
    }

    /** The model, with each batched step waiting for a permit the test hands out (or a second at most). */
    private static final class GatedModel extends ForwardingModel {
        final Semaphore permits = new Semaphore(0);
        final AtomicInteger steps = new AtomicInteger();

        GatedModel(NextTokenModel inner) {
            super(inner);
        }

        @Override
        public float[][] appendEach(List<CachedSession> sessions, int[] tokens) {
            try {
                permits.tryAcquire(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            steps.incrementAndGet();
            return inner.appendEach(sessions, tokens);
        }
    }

    private static ApiServer server(GatedModel[] gate, int maxConcurrent, int maxQueue, double timeout) throws Exception {
        ServeConfig c = ServeFixture.config(checkpoint);
        ServeConfig config = new ServeConfig(c.checkpoint(), c.host(), 0, "tiny", null, false, List.of(), c.maxBody(),
                maxConcurrent, maxQueue, timeout, "auto", "cpu");
        ApiServer server = new ApiServer(config, KEY);
        server.ready(new ServedModel(loaded, "tiny", "auto", model -> gate[0] = new GatedModel(model)));
        return server;
    }

    private static CompletableFuture<HttpResponse<String>> postAsync(int port, String body) {
        return ServeFixture.CLIENT.sendAsync(ServeFixture.request(port, "/v1/completions")
                .header("Authorization", "Bearer " + KEY).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void pastTheBatchAndTheQueueARequestGets429AndTheOthersAreAnswered() throws Exception {
        GatedModel[] gate = new GatedModel[1];
        try (ApiServer server = server(gate, 1, 1, 60)) {
            String body = "{\"prompt\":\"Where is my order?\",\"max_tokens\":5,\"temperature\":0}";
            CompletableFuture<HttpResponse<String>> running = postAsync(server.port(), body);
            CompletableFuture<HttpResponse<String>> waiting = postAsync(server.port(), body);
            waitFor(() -> server.scheduler().inFlight() == 2, "two requests in flight");
            HttpResponse<String> refused = post(server.port(), "/v1/completions", body, KEY);
            assertEquals(429, refused.statusCode(), refused.body());
            assertEquals("queue_full", json(refused).get("error").get("code").asText());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
            gate[0].permits.release(1000);
            assertEquals(200, running.get(30, TimeUnit.SECONDS).statusCode());
            assertEquals(200, waiting.get(30, TimeUnit.SECONDS).statusCode());
        }
    }

    @Test
    void aClientThatLeavesAStreamFreesItsPlaceAtTheNextToken() throws Exception {
        GatedModel[] gate = new GatedModel[1];
        try (ApiServer server = server(gate, 1, 0, 60)) {
            String body = "{\"prompt\":\"Thanks\",\"max_tokens\":40,\"temperature\":0,\"stop\":\"zzzz\"}";
            gate[0].permits.release(1000);
            int natural = json(post(server.port(), "/v1/completions", body, KEY)).get("usage").get("completion_tokens").asInt();
            assertTrue(natural >= 30, "the test needs a long reply; got " + natural + " tokens");
            gate[0].permits.drainPermits();
            gate[0].steps.set(0);

            HttpResponse<InputStream> stream = ServeFixture.CLIENT.send(ServeFixture.request(server.port(), "/v1/completions")
                    .header("Authorization", "Bearer " + KEY)
                    .POST(HttpRequest.BodyPublishers.ofString(body.replace("}", ",\"stream\":true}"))).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            BufferedReader reader = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
            gate[0].permits.release(2);
            assertTrue(reader.readLine().startsWith("data: "));
            stream.body().close();
            for (int i = 0; i < 25 && server.scheduler().inFlight() > 0; i++) {
                gate[0].permits.release();
                Thread.sleep(50);
            }
            waitFor(() -> server.scheduler().inFlight() == 0, "the abandoned stream to leave the batch");
            assertTrue(gate[0].steps.get() < natural - 5, "left after " + gate[0].steps.get() + " of " + natural + " steps");
            gate[0].permits.release(1000);
            assertEquals(200, post(server.port(), "/v1/completions", body, KEY).statusCode());
        }
    }

    @Test
    void aRequestPastTheTimeoutGets503() throws Exception {
        GatedModel[] gate = new GatedModel[1];
        try (ApiServer server = server(gate, 2, 2, 0.3)) {
            HttpResponse<String> slow = post(server.port(), "/v1/completions",
                    "{\"prompt\":\"Where\",\"max_tokens\":30,\"temperature\":0,\"stop\":\"zzzz\"}", KEY);
            assertEquals(503, slow.statusCode(), slow.body());
            assertEquals("timeout", json(slow).get("error").get("code").asText());
        }
    }

    @Test
    void whileTheModelLoadsHealthAndTheApiAnswer503() throws Exception {
        try (ApiServer server = new ApiServer(ServeFixture.config(checkpoint), null)) {
            assertEquals(503, get(server.port(), "/health", null).statusCode());
            HttpResponse<String> chat = post(server.port(), "/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", null);
            assertEquals(503, chat.statusCode());
            assertEquals("loading", json(chat).get("error").get("code").asText());
        }
    }

    @Test
    void aHostOtherThanLoopbackNeedsAKeyOrNoAuth() {
        ServeConfig c = ServeFixture.config(checkpoint);
        ServeConfig open = new ServeConfig(c.checkpoint(), "0.0.0.0", 0, null, null, false, List.of(), c.maxBody(),
                1, 1, 10, "auto", "cpu");
        ConfigException e = assertThrows(ConfigException.class,
                () -> ServeStage.start(open, null, null, new PrintStream(PrintStream.nullOutputStream())));
        assertTrue(e.getMessage().contains("without an API key") && e.getMessage().contains("--no-auth"), e.getMessage());
        assertTrue(ServeStage.isLoopback("127.0.0.1") && ServeStage.isLoopback("localhost") && ServeStage.isLoopback("::1"));
    }

    @Test
    void theKeyComesFromTheCommandLineThenTheFileThenTheEnvironment() throws Exception {
        Path file = dir.resolve("key.txt");
        Files.writeString(file, "  from-file  \nignored\n");
        ServeConfig c = ServeFixture.config(checkpoint);
        ServeConfig withFile = new ServeConfig(c.checkpoint(), c.host(), 0, null, file, false, List.of(), c.maxBody(),
                1, 1, 10, "auto", "cpu");
        assertEquals("from-cli", ServeStage.apiKey(withFile, "from-cli", "from-env"));
        assertEquals("from-file", ServeStage.apiKey(withFile, null, "from-env"));
        assertEquals("from-env", ServeStage.apiKey(c, null, "from-env"));
        assertEquals(null, ServeStage.apiKey(c, null, " "));
    }
}
