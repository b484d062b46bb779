package dev.chatforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chatforge.chat.ChatConfig;
import dev.chatforge.chat.GenerateConfig;
import dev.chatforge.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SamplingOptionsTest {
    @TempDir
    Path dir;

    private static GenerateConfig generate(String... args) {
        GenerateCommand command = new GenerateCommand();
        new CommandLine(command).parseArgs(args);
        command.addOwnOverrides(command.options, "generate");
        return command.options.load().section("generate", GenerateConfig.class, GenerateConfig.defaults());
    }

    @Test
    void generateOptionsMapOntoConfigKeysAndBeatTheFile() throws Exception {
        Path yaml = dir.resolve("c.yaml");
        Files.writeString(yaml, "generate:\n  checkpoint: from/file\n  top_k: 7\n  temperature: 0.5\n");
        GenerateConfig c = generate("--config", yaml.toString(), "--checkpoint", "ck/best",
                "--prompt", "Q: [a] # b", "--max-new-tokens", "12", "--top-p", "0.5", "--seed", "9",
                "--stop", "\\n\\n", "--stop", "User:", "--stop", "a\\\\nb", "--no-cache");
        assertEquals(Path.of("ck/best"), c.checkpoint());
        assertEquals("Q: [a] # b", c.prompt(), "YAML-like text stays a string");
        assertEquals(12, c.maxNewTokens());
        assertEquals(0.5, c.topP());
        assertEquals(7, c.topK(), "the file's value stays where no option is given");
        assertEquals(0.5, c.temperature());
        assertEquals(9, c.seed());
        assertEquals(List.of("\n\n", "User:", "a\\nb"), c.stop(), "\\n typed on a command line is a newline");
        assertFalse(c.useCache());
    }

    @Test
    void chatOptionsMapOntoConfigKeys() {
        ChatCommand command = new ChatCommand();
        new CommandLine(command).parseArgs("--checkpoint", "ck", "--persona", "You are: terse.", "--temperature", "0",
                "--template", "inst");
        command.addOwnOverrides(command.options, "chat");
        ChatConfig c = command.options.load().section("chat", ChatConfig.class, ChatConfig.defaults());
        assertEquals("You are: terse.", c.persona());
        assertEquals(0.0, c.temperature());
        assertEquals("inst", c.template());
        assertTrue(c.sampler().isGreedy());
    }

    @Test
    void badSamplingValuesNameTheKey() {
        ConfigException e = assertThrows(ConfigException.class, () -> generate("--checkpoint", "x", "--top-p", "1.5"));
        assertTrue(e.getMessage().contains("generate.top_p"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> generate("--prompt", "hi"));
        assertTrue(e.getMessage().contains("generate.checkpoint"), e.getMessage());
    }
}
