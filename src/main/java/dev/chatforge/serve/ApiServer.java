package dev.chatforge.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.chatforge.chat.DecodingSequence;
import dev.chatforge.chat.Generator;
import dev.chatforge.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP side of {@code chatforge serve}: OpenAI's endpoints ({@code POST /v1/chat/completions},
 * {@code POST /v1/completions}, {@code GET /v1/models}), {@code GET /health} and the web chat page
 * at {@code /}, on the JDK's own {@link HttpServer}. Every request is checked here (key, body size,
 * JSON) before it reaches the {@link BatchScheduler}; errors are OpenAI's error object.
 *
 * <p>A request thread never touches the model: it queues its sequence and then waits, for a
 * streamed reply on a queue of text pieces that the batch thread fills, writing each as a
 * server-sent event. A write that fails (the client left) cancels the sequence, which leaves the
 * batch at its next token.
 */
public final class ApiServer implements AutoCloseable {
    private static final String PAGE = "/web/index.html";
    private static final Object END = new Object();

    private final HttpServer http;
    private final ExecutorService threads;
    private final ApiKeys keys;
    private final List<String> corsOrigins;
    private final long maxBody;
    private final long timeoutNanos;
    private final int maxConcurrent;
    private final int maxQueue;
    private volatile ServedModel model;
    private volatile BatchScheduler scheduler;

    public ApiServer(ServeConfig config, String apiKey) throws IOException {
        this.keys = new ApiKeys(apiKey);
        this.corsOrigins = List.copyOf(config.corsOrigins());
        this.maxBody = config.maxBody();
        this.timeoutNanos = (long) (config.requestTimeout() * 1e9);
        this.maxConcurrent = config.maxConcurrent();
        this.maxQueue = config.maxQueue();
        this.http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 128);
        // Request threads mostly wait (on the batch thread or on a slow client). Enough for every request
        // the scheduler admits plus spares that answer health checks and 429s at once; connections past
        // that wait for a thread instead of each taking one (a flood cannot exhaust the machine's threads).
        int size = maxConcurrent + maxQueue + 32;
        ThreadPoolExecutor pool = new ThreadPoolExecutor(size, size, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "chatforge-http");
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        this.threads = pool;
        http.setExecutor(threads);
        http.createContext("/", this::handle);
        http.start();
    }

    /** The port the server listens on (the chosen one when the config said 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** Starts answering model requests; until then they (and /health) get 503. */
    public void ready(ServedModel served) {
        this.scheduler = new BatchScheduler(served.nextTokenModel(), maxConcurrent, maxQueue);
        this.model = served;
    }

    /** The scheduler, once the model is ready (tests watch its queue). */
    BatchScheduler scheduler() {
        return scheduler;
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            try {
                route(exchange);
            } catch (ApiError e) {
                sendError(exchange, e);
            } catch (IOException e) {
                // the client went away while we answered: nothing left to tell it
            } catch (RuntimeException e) {
                sendError(exchange, new ApiError(500, "server_error", null, null, "internal error: " + e.getMessage()));
            }
        } catch (RuntimeException e) {
            // closing a broken connection
        }
    }

    private void route(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        boolean cors = addCorsHeaders(exchange);
        if (method.equals("OPTIONS")) {
            if (!cors) {
                throw new ApiError(404, "invalid_request_error", null, "not_found", "no CORS for this origin");
            }
            exchange.getResponseHeaders().set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
            exchange.getResponseHeaders().set("Access-Control-Allow-Headers", "Authorization, Content-Type");
            exchange.getResponseHeaders().set("Access-Control-Max-Age", "600");
            exchange.sendResponseHeaders(204, -1);
            return;
        }
        switch (path) {
            case "/", "/index.html" -> {
                requireMethod(exchange, "GET");
                sendPage(exchange);
                return;
            }
            case "/health" -> {
                requireMethod(exchange, "GET");
                if (model == null) {
                    throw new ApiError(503, "server_error", null, "loading", "the model is loading");
                }
                sendJson(exchange, 200, Json.MAPPER.createObjectNode().put("status", "ok"));
                return;
            }
            default -> { }
        }
        if (!path.startsWith("/v1/")) {
            throw new ApiError(404, "invalid_request_error", null, "not_found", "no such endpoint: " + method + " " + path);
        }
        if (!keys.accepts(exchange.getRequestHeaders().getFirst("Authorization"))) {
            throw new ApiError(401, "invalid_request_error", null, "invalid_api_key",
                    "missing or wrong API key: send the header 'Authorization: Bearer YOUR_KEY'");
        }
        switch (path) {
            case "/v1/models" -> {
                requireMethod(exchange, "GET");
                sendJson(exchange, 200, models());
            }
            case "/v1/chat/completions" -> {
                requireMethod(exchange, "POST");
                JsonNode body = readJson(exchange);
                complete(exchange, CompletionRequest.chat(body), true);
            }
            case "/v1/completions" -> {
                requireMethod(exchange, "POST");
                JsonNode body = readJson(exchange);
                complete(exchange, CompletionRequest.completion(body), false);
            }
            default -> {
                if (path.startsWith("/v1/models/") && method.equals("GET")) {
                    ServedModel served = loadedModel();
                    if (!path.substring("/v1/models/".length()).equals(served.name())) {
                        throw new ApiError(404, "invalid_request_error", "model", "model_not_found",
                                "no model '" + path.substring("/v1/models/".length()) + "' (this server has '" + served.name() + "')");
                    }
                    sendJson(exchange, 200, modelEntry(served));
                    return;
                }
                throw new ApiError(404, "invalid_request_error", null, "not_found", "no such endpoint: " + method + " " + path);
            }
        }
    }

    private ServedModel loadedModel() {
        ServedModel served = model;
        if (served == null) {
            throw new ApiError(503, "server_error", null, "loading", "the model is loading; retry when /health says ok");
        }
        return served;
    }

    private ObjectNode models() {
        ServedModel served = loadedModel();
        ObjectNode list = Json.MAPPER.createObjectNode().put("object", "list");
        list.putArray("data").add(modelEntry(served));
        return list;
    }

    private static ObjectNode modelEntry(ServedModel served) {
        return Json.MAPPER.createObjectNode().put("id", served.name()).put("object", "model")
                .put("created", 0).put("owned_by", "chatforge");
    }

    /** A completion, whole or streamed, for chat ({@code chat}) or plain completions. */
    private void complete(HttpExchange exchange, CompletionRequest request, boolean chat) throws IOException {
        ServedModel served = loadedModel();
        ServedModel.Prepared prepared = served.prepare(request);
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        BlockingQueue<Object> pieces = request.stream() ? new LinkedBlockingQueue<>() : null;
        DecodingSequence sequence = served.sequence(prepared, request, pieces == null ? null : pieces::add);
        BatchScheduler.Job job;
        try {
            job = scheduler.submit(sequence, timeoutNanos);
        } catch (BatchScheduler.QueueFullException e) {
            throw new ApiError(429, "rate_limit_error", null, "queue_full", e.getMessage());
        }
        job.done().whenComplete((outcome, error) -> {
            if (pieces != null) {
                pieces.add(END);
            }
        });
        ChunkFactory chunks = new ChunkFactory(id, created, served.name(), chat);
        if (pieces == null) {
            await(job);
            ObjectNode response = chunks.whole(sequence.text(), finishReason(sequence));
            response.set("usage", usage(sequence));
            sendJson(exchange, 200, response);
            return;
        }
        Headers headers = exchange.getResponseHeaders();
        headers.set("Content-Type", "text/event-stream; charset=utf-8");
        headers.set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        try {
            if (chat) {
                send(out, chunks.first(request.includeUsage()));
            }
            while (true) {
                Object piece = pieces.poll(timeoutNanos, TimeUnit.NANOSECONDS);
                if (piece == null || piece == END) {
                    break;
                }
                send(out, chunks.delta((String) piece, request.includeUsage()));
            }
            try {
                await(job);
            } catch (ApiError e) {
                send(out, errorBody(e));
                return;
            }
            send(out, chunks.last(finishReason(sequence), request.includeUsage()));
            if (request.includeUsage()) {
                send(out, chunks.usageOnly(usage(sequence)));
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            job.cancel(); // the client left: its place in the batch goes to the next request at the next token
            throw e;
        } catch (InterruptedException e) {
            job.cancel();
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for the job to leave the batch; a timeout or failure becomes an API error. */
    private BatchScheduler.Outcome await(BatchScheduler.Job job) {
        BatchScheduler.Outcome outcome;
        try {
            outcome = job.done().get();
        } catch (InterruptedException e) {
            job.cancel();
            Thread.currentThread().interrupt();
            throw new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down");
        } catch (ExecutionException e) {
            throw new ApiError(500, "server_error", null, null, "generation failed: " + e.getCause().getMessage());
        }
        if (outcome == BatchScheduler.Outcome.TIMED_OUT) {
            throw new ApiError(503, "server_error", null, "timeout", "the request took longer than the server's "
                    + "request timeout of " + timeoutNanos / 1_000_000_000 + " s");
        }
        if (outcome == BatchScheduler.Outcome.CANCELLED) {
            throw new ApiError(503, "server_error", null, "cancelled", "the request was cancelled");
        }
        return outcome;
    }

    private static String finishReason(DecodingSequence sequence) {
        return sequence.stopReason() == Generator.StopReason.MAX_TOKENS ? "length" : "stop";
    }

    private static ObjectNode usage(DecodingSequence sequence) {
        return Json.MAPPER.createObjectNode().put("prompt_tokens", sequence.promptTokens())
                .put("completion_tokens", sequence.generatedCount())
                .put("total_tokens", sequence.promptTokens() + sequence.generatedCount());
    }

    private static void send(OutputStream out, ObjectNode event) throws IOException {
        out.write(("data: " + Json.COMPACT.writeValueAsString(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** The body, parsed: 413 past --max-body, 400 for anything that is not a JSON object. */
    private JsonNode readJson(HttpExchange exchange) throws IOException {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > maxBody) {
                    throw tooLarge();
                }
            } catch (NumberFormatException e) {
                throw ApiError.invalid(null, "bad Content-Length: " + length);
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try (InputStream in = exchange.getRequestBody()) {
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) > 0) {
                body.write(buffer, 0, n);
                if (body.size() > maxBody) {
                    throw tooLarge();
                }
            }
        }
        JsonNode json;
        try {
            json = Json.MAPPER.readTree(body.toByteArray());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ApiError.invalid(null, "the body is not valid JSON: " + e.getOriginalMessage());
        }
        if (json == null || !json.isObject()) {
            throw ApiError.invalid(null, "the body must be a JSON object");
        }
        return json;
    }

    private ApiError tooLarge() {
        return new ApiError(413, "invalid_request_error", null, "request_too_large",
                "the request body is larger than the server's limit of " + maxBody + " bytes");
    }

    private static void requireMethod(HttpExchange exchange, String method) {
        if (!exchange.getRequestMethod().equals(method)) {
            throw new ApiError(405, "invalid_request_error", null, "method_not_allowed",
                    exchange.getRequestURI().getPath() + " takes " + method + ", not " + exchange.getRequestMethod());
        }
    }

    /** Adds CORS headers when the request's Origin is one of --cors-origin's; true when it was. */
    private boolean addCorsHeaders(HttpExchange exchange) {
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        if (origin == null || !corsOrigins.contains(origin)) {
            return false;
        }
        exchange.getResponseHeaders().set("Access-Control-Allow-Origin", origin);
        exchange.getResponseHeaders().set("Vary", "Origin");
        return true;
    }

    private void sendPage(HttpExchange exchange) throws IOException {
        byte[] page;
        try (InputStream in = ApiServer.class.getResourceAsStream(PAGE)) {
            if (in == null) {
                throw new ApiError(404, "invalid_request_error", null, "not_found", "the web page is not in this build");
            }
            page = in.readAllBytes();
        }
        exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
        exchange.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                + "script-src 'self' 'unsafe-inline'");
        exchange.sendResponseHeaders(200, page.length);
        exchange.getResponseBody().write(page);
    }

    private static void sendJson(HttpExchange exchange, int status, ObjectNode body) throws IOException {
        byte[] bytes = Json.COMPACT.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static ObjectNode errorBody(ApiError e) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", e.getMessage());
        error.put("type", e.type());
        error.put("param", e.param());
        error.put("code", e.code());
        return root;
    }

    private static void sendError(HttpExchange exchange, ApiError e) {
        try {
            if (e.status() == 429) {
                exchange.getResponseHeaders().set("Retry-After", "1");
            }
            sendJson(exchange, e.status(), errorBody(e));
        } catch (IOException | RuntimeException ignored) {
            // headers already sent or the client left
        }
    }

    @Override
    public void close() {
        http.stop(0);
        if (scheduler != null) {
            scheduler.close();
        }
        threads.shutdownNow();
    }

    /** Builds the response objects of one completion, whole or as stream chunks. */
    private record ChunkFactory(String id, long created, String model, boolean chat) {
        private ObjectNode base(String object) {
            return Json.MAPPER.createObjectNode().put("id", id).put("object", object).put("created", created)
                    .put("model", model);
        }

        ObjectNode whole(String text, String finishReason) {
            ObjectNode root = base(chat ? "chat.completion" : "text_completion");
            ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
            if (chat) {
                choice.putObject("message").put("role", "assistant").put("content", text);
            } else {
                choice.put("text", text);
            }
            choice.putNull("logprobs");
            choice.put("finish_reason", finishReason);
            return root;
        }

        private ObjectNode chunk(boolean withUsage) {
            ObjectNode root = base(chat ? "chat.completion.chunk" : "text_completion");
            if (withUsage) {
                root.putNull("usage");
            }
            return root;
        }

        private ObjectNode choice(ObjectNode root) {
            ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
            return choice;
        }

        /** The first chat chunk carries the role. */
        ObjectNode first(boolean withUsage) {
            ObjectNode root = chunk(withUsage);
            ObjectNode choice = choice(root);
            choice.putObject("delta").put("role", "assistant").put("content", "");
            choice.putNull("logprobs");
            choice.putNull("finish_reason");
            return root;
        }

        ObjectNode delta(String text, boolean withUsage) {
            ObjectNode root = chunk(withUsage);
            ObjectNode choice = choice(root);
            if (chat) {
                choice.putObject("delta").put("content", text);
            } else {
                choice.put("text", text);
            }
            choice.putNull("logprobs");
            choice.putNull("finish_reason");
            return root;
        }

        ObjectNode last(String finishReason, boolean withUsage) {
            ObjectNode root = chunk(withUsage);
            ObjectNode choice = choice(root);
            if (chat) {
                choice.putObject("delta");
            } else {
                choice.put("text", "");
            }
            choice.putNull("logprobs");
            choice.put("finish_reason", finishReason);
            return root;
        }

        /** With stream_options.include_usage: a last chunk with no choices and the usage. */
        ObjectNode usageOnly(ObjectNode usage) {
            ObjectNode root = base(chat ? "chat.completion.chunk" : "text_completion");
            root.putArray("choices");
            root.set("usage", usage);
            return root;
        }
    }
}
