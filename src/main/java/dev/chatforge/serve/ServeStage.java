package dev.chatforge.serve;

import dev.chatforge.chat.LoadedModel;
import dev.chatforge.config.ConfigException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * {@code chatforge serve}: listens first (so {@code /health} answers 503 while the model loads),
 * loads the checkpoint, then serves until the process is stopped. The key comes from
 * {@code --api-key}, then {@code api_key_file}, then {@code CHATFORGE_API_KEY}; a host other than
 * loopback without one is refused unless {@code no_auth} says so explicitly.
 */
public final class ServeStage {
    /** The environment variable holding the API key. */
    public static final String KEY_VARIABLE = "CHATFORGE_API_KEY";

    private ServeStage() {}

    /** A started server and its model; close it to stop both. */
    public record Running(ApiServer server, LoadedModel model) implements AutoCloseable {
        public int port() {
            return server.port();
        }

        @Override
        public void close() {
            server.close();
            if (model != null) {
                model.close();
            }
        }
    }

    /** Serves until the JVM is stopped (Ctrl-C, SIGTERM). */
    public static void run(ServeConfig config, String keyFromCommandLine, PrintStream err) throws InterruptedException {
        Running running = start(config, keyFromCommandLine, System.getenv(KEY_VARIABLE), err);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close();
            stopped.countDown();
        }));
        stopped.await();
    }

    /** Starts listening, loads the model, and returns once requests are answered. */
    public static Running start(ServeConfig config, String keyFromCommandLine, String keyFromEnvironment, PrintStream err) {
        String key = apiKey(config, keyFromCommandLine, keyFromEnvironment);
        boolean loopback = isLoopback(config.host());
        if (!loopback && key == null && !config.noAuth()) {
            throw new ConfigException("serve: refusing to listen on " + config.host() + " (reachable from other machines) "
                    + "without an API key: give one with --api-key-file FILE or " + KEY_VARIABLE + ", or pass --no-auth "
                    + "to serve it open on purpose");
        }
        ApiServer server;
        try {
            server = new ApiServer(config, key);
        } catch (IOException e) {
            throw new UncheckedIOException("serve: cannot listen on " + config.host() + ":" + config.port() + ": "
                    + e.getMessage(), e);
        }
        err.printf(Locale.ROOT, "serve: listening on http://%s:%d (loading %s; /health answers 503 until ready)%n",
                hostForUrl(config.host()), server.port(), config.checkpoint());
        LoadedModel loaded = null;
        try {
            // generation's own rule for auto: on a CPU the plain-Java fp32 decoder, whose batched step
            // (GPT2Decoder.appendEach) the scheduler runs
            loaded = LoadedModel.load(config.checkpoint(), config.device(), "auto");
            String name = config.modelName() != null ? config.modelName() : modelName(config);
            ServedModel served = new ServedModel(loaded, name, config.template());
            server.ready(served);
            err.printf(Locale.ROOT, "serve: ready: model '%s' (context %d tokens%s), API key %s, batch of %d, queue of %d; "
                            + "web chat at http://%s:%d/%n", name, served.blockSize(),
                    served.canChat() ? "" : "; no chat tokens: /v1/completions only", key == null ? "off" : "required",
                    config.maxConcurrent(), config.maxQueue(), hostForUrl(config.host()), server.port());
            return new Running(server, loaded);
        } catch (RuntimeException e) {
            server.close();
            if (loaded != null) {
                loaded.close();
            }
            throw e;
        }
    }

    private static String modelName(ServeConfig config) {
        java.nio.file.Path dir = config.checkpoint().toAbsolutePath().normalize();
        // checkpoints/smoke-ft/best is better named "smoke-ft" than "best"
        String last = dir.getFileName().toString();
        if ((last.equals("best") || last.equals("latest") || last.startsWith("step-")) && dir.getParent() != null) {
            return dir.getParent().getFileName() + "/" + last;
        }
        return last;
    }

    static String apiKey(ServeConfig config, String fromCommandLine, String fromEnvironment) {
        if (fromCommandLine != null && !fromCommandLine.isBlank()) {
            return fromCommandLine.strip();
        }
        if (config.apiKeyFile() != null) {
            try {
                String text = Files.readString(config.apiKeyFile(), StandardCharsets.UTF_8).lines().findFirst().orElse("")
                        .strip();
                if (text.isEmpty()) {
                    throw new ConfigException("key 'serve.api_key_file': " + config.apiKeyFile() + " is empty; its first "
                            + "line should be the API key");
                }
                return text;
            } catch (IOException e) {
                throw new ConfigException("key 'serve.api_key_file': cannot read " + config.apiKeyFile() + ": " + e);
            }
        }
        return fromEnvironment == null || fromEnvironment.isBlank() ? null : fromEnvironment.strip();
    }

    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new ConfigException("key 'serve.host': unknown host '" + host + "'");
        }
    }

    private static String hostForUrl(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }
}
