package dev.chatforge.cli;

import dev.chatforge.serve.ServeConfig;
import dev.chatforge.serve.ServeStage;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `chatforge serve --checkpoint DIR`: the serve stage with its own options. The API key is passed
 * to the stage directly, never as a config override (the effective config is printed).
 */
@Command(mixinStandardHelpOptions = true)
public class ServeCommand extends StageCommand {
    @Option(names = "--checkpoint", paramLabel = "DIR", description = "Checkpoint folder to serve.")
    Path checkpoint;

    @Option(names = "--host", paramLabel = "ADDR", description = "Address to listen on (default 127.0.0.1: this machine only).")
    String host;

    @Option(names = "--port", paramLabel = "N", description = "TCP port (default 8000; 0 = any free one).")
    Integer port;

    @Option(names = "--api-key", paramLabel = "KEY", description = "Key clients must send (Authorization: Bearer KEY). "
            + "Other users of this machine can see a command line: prefer --api-key-file or CHATFORGE_API_KEY.")
    String apiKey;

    @Option(names = "--api-key-file", paramLabel = "FILE", description = "File whose first line is the API key.")
    Path apiKeyFile;

    @Option(names = "--no-auth", description = "Allow a non-loopback --host without an API key.")
    boolean noAuth;

    @Option(names = "--model-name", paramLabel = "NAME", description = "Model id for clients (default: the checkpoint's folder name).")
    String modelName;

    @Option(names = "--cors-origin", paramLabel = "ORIGIN", description = "Browser origin allowed to call the API (repeatable; default: none).")
    List<String> corsOrigins;

    @Option(names = "--max-body", paramLabel = "BYTES", description = "Largest request body (default 1048576).")
    Long maxBody;

    @Option(names = "--max-concurrent", paramLabel = "N", description = "Requests decoded together in one batch (default 8).")
    Integer maxConcurrent;

    @Option(names = "--max-queue", paramLabel = "N", description = "Requests that may wait for the batch; more get 429 (default 16).")
    Integer maxQueue;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Longest a request may take (default 300).")
    Double timeout;

    @Option(names = "--template", paramLabel = "auto|turns|inst",
            description = "Chat template (default: the one the checkpoint was fine-tuned with).")
    String template;

    @Option(names = "--device", paramLabel = "auto|cpu|gpu", description = "Where the model runs.")
    String device;

    public ServeCommand() {
        super("serve");
    }

    @Override
    protected void addOwnOverrides(ConfigOptions options, String section) {
        SamplingOptions.put(options, section, "checkpoint", checkpoint == null ? null : checkpoint.toString());
        SamplingOptions.put(options, section, "host", host);
        SamplingOptions.put(options, section, "port", port);
        SamplingOptions.put(options, section, "api_key_file", apiKeyFile == null ? null : apiKeyFile.toString());
        if (noAuth) {
            SamplingOptions.put(options, section, "no_auth", true);
        }
        SamplingOptions.put(options, section, "model_name", modelName);
        SamplingOptions.put(options, section, "cors_origins", corsOrigins);
        SamplingOptions.put(options, section, "max_body", maxBody);
        SamplingOptions.put(options, section, "max_concurrent", maxConcurrent);
        SamplingOptions.put(options, section, "max_queue", maxQueue);
        SamplingOptions.put(options, section, "request_timeout", timeout);
        SamplingOptions.put(options, section, "template", template);
        SamplingOptions.put(options, section, "device", device);
    }

    @Override
    public Integer call() throws Exception {
        String name = sectionName();
        addOwnOverrides(options, name);
        ServeConfig config = Stages.bind(options.load(), name, ServeConfig.class, ServeConfig.defaults());
        ServeStage.run(config, apiKey, System.err);
        return 0;
    }
}
