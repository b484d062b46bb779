package dev.chatforge.serve;

import static dev.chatforge.serve.ServeFixture.KEY;
import static dev.chatforge.serve.ServeFixture.dataLines;
import static dev.chatforge.serve.ServeFixture.get;
import static dev.chatforge.serve.ServeFixture.json;
import static dev.chatforge.serve.ServeFixture.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chatforge.io.Json;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OpenAI-compatible endpoints over real HTTP on loopback, against a tiny served checkpoint. */
class ServeApiTest {
    private static final int CONTEXT = 64;
    private static final long MAX_BODY = 4096;

    @TempDir
    static Path dir;
    private static ServeStage.Running server;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        Path checkpoint = ServeFixture.checkpoint(dir, CONTEXT);
        ServeConfig c = ServeFixture.config(checkpoint);
        ServeConfig config = new ServeConfig(c.checkpoint(), c.host(), 0, "tiny", null, false,
                List.of("https://app.example"), MAX_BODY, 4, 4, 60, "auto", "cpu");
        server = ServeStage.start(config, KEY, null, new PrintStream(PrintStream.nullOutputStream()));
        port = server.port();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static HttpResponse<String> chat(String body) throws Exception {
        return post(port, "/v1/chat/completions", body, KEY);
    }

    private static void assertError(HttpResponse<String> response, int status, String param, String code) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        JsonNode error = json(response).get("error");
        assertTrue(error != null && error.has("message") && error.has("type") && error.has("param") && error.has("code"),
                response.body());
        assertEquals(param, error.get("param").isNull() ? null : error.get("param").asText(), response.body());
        assertEquals(code, error.get("code").isNull() ? null : error.get("code").asText(), response.body());
    }

    @Test
    void healthNeedsNoKey() throws Exception {
        HttpResponse<String> health = get(port, "/health", null);
        assertEquals(200, health.statusCode());
        assertEquals("ok", json(health).get("status").asText());
    }

    @Test
    void modelsListTheServedModel() throws Exception {
        JsonNode models = json(get(port, "/v1/models", KEY));
        assertEquals("list", models.get("object").asText());
        assertEquals("tiny", models.get("data").get(0).get("id").asText());
        assertEquals("model", models.get("data").get(0).get("object").asText());
        assertEquals(200, get(port, "/v1/models/tiny", KEY).statusCode());
        assertError(get(port, "/v1/models/other", KEY), 404, "model", "model_not_found");
    }

    @Test
    void aChatCompletionIsOpenAisShapeAndGreedyIsRepeatable() throws Exception {
        String body = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"Where is my order?\"}],\"max_tokens\":6,\"temperature\":0,"
                + "\"some_future_field\":{\"x\":1}}";
        HttpResponse<String> first = chat(body);
        assertEquals(200, first.statusCode(), first.body());
        JsonNode r = json(first);
        assertEquals("chat.completion", r.get("object").asText());
        assertTrue(r.get("id").asText().startsWith("chatcmpl-"));
        assertEquals("tiny", r.get("model").asText());
        JsonNode choice = r.get("choices").get(0);
        assertEquals("assistant", choice.get("message").get("role").asText());
        assertTrue(Set.of("stop", "length").contains(choice.get("finish_reason").asText()));
        JsonNode usage = r.get("usage");
        int completion = usage.get("completion_tokens").asInt();
        assertTrue(completion >= 0 && completion <= 6, usage.toString());
        assertEquals(usage.get("prompt_tokens").asInt() + completion, usage.get("total_tokens").asInt());
        if (completion == 6) {
            assertEquals("length", choice.get("finish_reason").asText());
        }
        assertEquals(choice.get("message").get("content"), json(chat(body)).get("choices").get(0).get("message").get("content"));
    }

    @Test
    void aSeedMakesSamplingRepeatable() throws Exception {
        String body = "{\"prompt\":\"Can I get a refund\",\"max_tokens\":12,\"temperature\":1.2,\"seed\":42}";
        String a = json(post(port, "/v1/completions", body, KEY)).get("choices").get(0).get("text").asText();
        String b = json(post(port, "/v1/completions", body, KEY)).get("choices").get(0).get("text").asText();
        assertEquals(a, b);
    }

    @Test
    void aStreamedChatCarriesTheRoleFirstThenDeltasThenUsageAndDone() throws Exception {
        String messages = "\"messages\":[{\"role\":\"user\",\"content\":\"Can I get a refund?\"}],\"temperature\":0,"
                + "\"max_completion_tokens\":10";
        String whole = json(chat("{" + messages + "}")).get("choices").get(0).get("message").get("content").asText();
        HttpResponse<String> streamed = chat("{" + messages + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        assertEquals(200, streamed.statusCode());
        assertTrue(streamed.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> data = dataLines(streamed.body());
        assertEquals("[DONE]", data.get(data.size() - 1));
        JsonNode first = Json.MAPPER.readTree(data.get(0));
        assertEquals("chat.completion.chunk", first.get("object").asText());
        assertEquals("assistant", first.get("choices").get(0).get("delta").get("role").asText());
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (String line : data.subList(0, data.size() - 1)) {
            JsonNode chunk = Json.MAPPER.readTree(line);
            if (chunk.get("choices").isEmpty()) {
                usage = chunk.get("usage");
                continue;
            }
            JsonNode choice = chunk.get("choices").get(0);
            text.append(choice.get("delta").path("content").asText(""));
            if (!choice.get("finish_reason").isNull()) {
                finish = choice.get("finish_reason").asText();
            }
        }
        assertEquals(whole, text.toString());
        assertTrue(Set.of("stop", "length").contains(finish), String.valueOf(finish));
        assertTrue(usage != null && usage.get("completion_tokens").asInt() <= 10, String.valueOf(usage));
    }

    @Test
    void completionsWholeAndStreamedAgree() throws Exception {
        String request = "\"prompt\":\"Thanks for your\",\"max_tokens\":8,\"temperature\":0";
        JsonNode whole = json(post(port, "/v1/completions", "{" + request + "}", KEY));
        assertEquals("text_completion", whole.get("object").asText());
        String text = whole.get("choices").get(0).get("text").asText();
        List<String> data = dataLines(post(port, "/v1/completions", "{" + request + ",\"stream\":true}", KEY).body());
        assertEquals("[DONE]", data.get(data.size() - 1));
        StringBuilder streamed = new StringBuilder();
        for (String line : data.subList(0, data.size() - 1)) {
            JsonNode chunk = Json.MAPPER.readTree(line);
            assertFalse(chunk.has("usage"), "usage only when stream_options.include_usage asks for it");
            streamed.append(chunk.get("choices").get(0).get("text").asText());
        }
        assertEquals(text, streamed.toString());
    }

    @Test
    void aStopStringEndsTheTextBeforeIt() throws Exception {
        String request = "{\"prompt\":\"My password\",\"max_tokens\":20,\"temperature\":0";
        String text = json(post(port, "/v1/completions", request + "}", KEY)).get("choices").get(0).get("text").asText();
        assertTrue(text.length() >= 4, "the tiny model should say something: '" + text + "'");
        String stop = text.substring(2, 4);
        JsonNode cut = json(post(port, "/v1/completions", request + ",\"stop\":[\"" + Json.COMPACT.writeValueAsString(stop)
                .replaceAll("^\"|\"$", "") + "\"]}", KEY)).get("choices").get(0);
        assertEquals(text.substring(0, text.indexOf(stop)), cut.get("text").asText());
        assertEquals("stop", cut.get("finish_reason").asText());
    }

    @Test
    void maxTokensIsCappedByTheContext() throws Exception {
        JsonNode usage = json(post(port, "/v1/completions",
                "{\"prompt\":\"Where\",\"max_tokens\":100000,\"temperature\":0}", KEY)).get("usage");
        assertTrue(usage.get("total_tokens").asInt() <= CONTEXT, usage.toString());
    }

    @Test
    void aUsersTextNeverBecomesAControlToken() throws Exception {
        // <|user|> <|end|> <|agent|> around the message: as text "<|end|>" takes several tokens, as a control token one.
        JsonNode usage = json(chat("{\"messages\":[{\"role\":\"user\",\"content\":\"<|end|>\"}],\"max_tokens\":1}")).get("usage");
        assertTrue(usage.get("prompt_tokens").asInt() > 5, usage.toString());
    }

    @Test
    void badRequestsGetOpenAisErrorObject() throws Exception {
        assertError(chat("{not json"), 400, null, null);
        assertError(chat("[1,2]"), 400, null, null);
        assertError(chat("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":\"hot\"}"), 400,
                "temperature", null);
        assertError(chat("{\"messages\":[]}"), 400, "messages", null);
        assertError(chat("{\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}"), 400, "messages[0].role", null);
        assertError(chat("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":0}"), 400, "max_tokens", null);
        assertError(post(port, "/v1/completions", "{\"prompt\":42}", KEY), 400, "prompt", null);
        assertError(get(port, "/v1/nothing", KEY), 404, null, "not_found");
    }

    @Test
    void aPromptLongerThanTheContextIsRefusedSayingHowLong() throws Exception {
        String prompt = "Where is my order? ".repeat(40);
        HttpResponse<String> r = post(port, "/v1/completions", "{\"prompt\":\"" + prompt + "\"}", KEY);
        assertError(r, 400, "prompt", "context_length_exceeded");
        String message = json(r).get("error").get("message").asText();
        assertTrue(message.matches(".*context is 64 tokens; the prompt take \\d+ tokens.*"), message);
    }

    @Test
    void theKeyIsRequiredAndChecked() throws Exception {
        assertError(get(port, "/v1/models", null), 401, null, "invalid_api_key");
        assertError(get(port, "/v1/models", KEY + "x"), 401, null, "invalid_api_key");
        assertError(post(port, "/v1/chat/completions", "{}", "wrong"), 401, null, "invalid_api_key");
    }

    @Test
    void aBodyOverTheLimitIs413() throws Exception {
        String big = "{\"prompt\":\"" + "x".repeat((int) MAX_BODY) + "\"}";
        assertError(post(port, "/v1/completions", big, KEY), 413, null, "request_too_large");
    }

    @Test
    void corsHeadersOnlyForAListedOrigin() throws Exception {
        HttpResponse<String> listed = ServeFixture.CLIENT.send(ServeFixture.request(port, "/v1/models")
                .header("Origin", "https://app.example").header("Authorization", "Bearer " + KEY).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("https://app.example", listed.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
        HttpResponse<String> other = ServeFixture.CLIENT.send(ServeFixture.request(port, "/v1/models")
                .header("Origin", "https://evil.example").header("Authorization", "Bearer " + KEY).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(other.headers().firstValue("Access-Control-Allow-Origin").isEmpty());
        HttpResponse<String> preflight = ServeFixture.CLIENT.send(ServeFixture.request(port, "/v1/chat/completions")
                .header("Origin", "https://app.example").method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(204, preflight.statusCode());
        assertTrue(preflight.headers().firstValue("Access-Control-Allow-Headers").orElse("").contains("Authorization"));
    }

    @Test
    void theWebPageIsServedFromTheJar() throws Exception {
        HttpResponse<String> page = get(port, "/", null);
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(page.body().contains("/v1/chat/completions"));
        assertFalse(page.body().contains("http://") || page.body().contains("https://"), "no CDN: everything is in the page");
        assertNotEquals(-1, page.body().indexOf("id=\"stop\""));
    }
}
