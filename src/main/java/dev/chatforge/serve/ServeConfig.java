package dev.chatforge.serve;

import dev.chatforge.config.Checks;
import dev.chatforge.config.StageConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code serve:} section: a checkpoint behind an OpenAI-compatible HTTP API and a web chat page.
 * The API key itself is never a config key (the effective config is printed): it comes from
 * {@code --api-key}, {@code api_key_file} or the {@code CHATFORGE_API_KEY} environment variable.
 *
 * @param checkpoint        checkpoint folder (a fine-tuned one answers /v1/chat/completions)
 * @param host              address to listen on; 127.0.0.1 (loopback only) by default
 * @param port              TCP port; 0 picks a free one (printed at start)
 * @param modelName         the model id clients send and /v1/models lists; null = the folder's name
 * @param apiKeyFile        a file whose first line is the API key clients must send as "Bearer KEY"
 * @param noAuth            serve a non-loopback host without a key (refused otherwise)
 * @param corsOrigins       browser origins allowed to call the API from other pages; empty = CORS off
 * @param maxBody           largest request body in bytes (413 past it)
 * @param maxConcurrent     sequences decoded together in one batch
 * @param maxQueue          requests waiting for a place in the batch (429 past it)
 * @param requestTimeout    seconds a request may take from arrival to its last token (503 past it)
 * @param template          auto (the one the checkpoint was fine-tuned with), turns or inst
 * @param device            auto (GPU when DJL sees one), cpu or gpu
 */
public record ServeConfig(
        Path checkpoint,
        String host,
        int port,
        String modelName,
        Path apiKeyFile,
        boolean noAuth,
        List<String> corsOrigins,
        long maxBody,
        int maxConcurrent,
        int maxQueue,
        double requestTimeout,
        String template,
        String device) implements StageConfig {

    public static ServeConfig defaults() {
        return new ServeConfig(null, "127.0.0.1", 8000, null, null, false, List.of(), 1 << 20, 8, 16, 300,
                "auto", "auto");
    }

    @Override
    public void validate(Checks checks) {
        checks.required("checkpoint", checkpoint);
        checks.required("host", host);
        checks.check(port >= 0 && port <= 65535, "port", "must be between 0 and 65535, got " + port);
        checks.check(corsOrigins != null && corsOrigins.stream().noneMatch(o -> o == null || o.isBlank()),
                "cors_origins", "must be a list of origins such as https://example.com");
        checks.positive("max_body", maxBody);
        checks.positive("max_concurrent", maxConcurrent);
        checks.check(maxQueue >= 0, "max_queue", "must be >= 0, got " + maxQueue);
        checks.positive("request_timeout", requestTimeout);
        checks.oneOf("template", template, List.of("auto", "turns", "inst"));
        checks.oneOf("device", device, List.of("auto", "cpu", "gpu"));
    }
}
