package dev.chatforge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFileTest {
    /** A stand-in stage config with the shapes real ones use: numbers, a nested record, a list. */
    record Schedule(int warmupSteps, double minLr) {}

    record DemoConfig(Path output, int batchSize, double learningRate, boolean overwrite, Schedule schedule,
                      List<String> stages) implements StageConfig {
        static DemoConfig defaults() {
            return new DemoConfig(Path.of("out"), 16, 3e-4, false, new Schedule(100, 1e-5), List.of("a"));
        }

        @Override
        public void validate(Checks checks) {
            checks.positive("batch_size", batchSize);
            checks.positive("learning_rate", learningRate);
        }
    }

    @TempDir
    Path dir;

    private Path yaml(String text) throws Exception {
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, text);
        return file;
    }

    @Test
    void keysInTheFileReplaceDefaultsAndNestedMappingsMerge() throws Exception {
        Path file = yaml("demo:\n  batch_size: 4\n  schedule:\n    min_lr: 0.001\n");
        DemoConfig c = ConfigFile.load(file, List.of()).section("demo", DemoConfig.class, DemoConfig.defaults());
        assertEquals(4, c.batchSize());
        assertEquals(3e-4, c.learningRate());
        assertEquals(100, c.schedule().warmupSteps(), "unset nested key keeps its default");
        assertEquals(0.001, c.schedule().minLr());
        assertEquals(Path.of("out"), c.output());
    }

    @Test
    void overridesApplyAfterTheFileAndAreParsedAsYaml() throws Exception {
        Path file = yaml("demo:\n  batch_size: 4\n");
        DemoConfig c = ConfigFile.load(file, List.of("demo.batch_size=8", "demo.schedule.warmup_steps=5",
                "demo.overwrite=true", "demo.stages=[x, y]")).section("demo", DemoConfig.class, DemoConfig.defaults());
        assertEquals(8, c.batchSize());
        assertEquals(5, c.schedule().warmupSteps());
        assertTrue(c.overwrite());
        assertEquals(List.of("x", "y"), c.stages());
    }

    @Test
    void misspeltKeyNamesFileKeyAndSuggestsTheClosest() throws Exception {
        Path file = yaml("demo:\n  lerning_rate: 0.1\n");
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigFile.load(file, List.of()).section("demo", DemoConfig.class, DemoConfig.defaults()));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("unknown key 'demo.lerning_rate'"), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean 'learning_rate'"), e.getMessage());
    }

    @Test
    void unknownNestedKeyHasItsFullPath() throws Exception {
        Path file = yaml("demo:\n  schedule:\n    warmup: 3\n");
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigFile.load(file, List.of()).section("demo", DemoConfig.class, DemoConfig.defaults()));
        assertTrue(e.getMessage().contains("'demo.schedule.warmup'"), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean 'warmup_steps'"), e.getMessage());
    }

    @Test
    void wrongTypeNamesKeyExpectedTypeAndValue() throws Exception {
        Path file = yaml("demo:\n  batch_size: lots\n");
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigFile.load(file, List.of()).section("demo", DemoConfig.class, DemoConfig.defaults()));
        assertTrue(e.getMessage().contains("key 'demo.batch_size': expected an integer, got 'lots'"), e.getMessage());
    }

    @Test
    void errorsFromAnOverrideNameTheOverride() throws Exception {
        Path file = yaml("demo: {}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigFile.load(file, List.of("demo.batch_sise=3"))
                .section("demo", DemoConfig.class, DemoConfig.defaults()));
        assertTrue(e.getMessage().startsWith("--set demo.batch_sise=3"), e.getMessage());
    }

    @Test
    void outOfRangeValuesAreAllReported() throws Exception {
        Path file = yaml("demo:\n  batch_size: 0\n  learning_rate: -1\n");
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigFile.load(file, List.of()).section("demo", DemoConfig.class, DemoConfig.defaults()));
        assertTrue(e.getMessage().contains("key 'demo.batch_size': must be > 0, got 0"), e.getMessage());
        assertTrue(e.getMessage().contains("key 'demo.learning_rate': must be > 0, got -1.0"), e.getMessage());
    }

    @Test
    void duplicateKeysAndBadYamlAreErrorsWithTheFileName() throws Exception {
        Path dup = yaml("demo:\n  batch_size: 1\n  batch_size: 2\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigFile.load(dup, List.of()));
        assertTrue(e.getMessage().contains(dup.toString()) && e.getMessage().contains("batch_size"), e.getMessage());
        Path bad = yaml("demo: [unclosed\n");
        assertThrows(ConfigException.class, () -> ConfigFile.load(bad, List.of()));
        assertThrows(ConfigException.class, () -> ConfigFile.load(dir.resolve("missing.yaml"), List.of()));
    }

    @Test
    void pipelineListsLabelledSectionsThatExist() throws Exception {
        Path file = yaml("pipeline: [prepare, prepare/support]\nprepare: {}\nprepare/support: {}\n");
        ConfigFile config = ConfigFile.load(file, List.of());
        assertEquals(List.of("prepare", "prepare/support"), config.pipeline());
        assertEquals("prepare", ConfigFile.stageOf("prepare/support"));
        Path missing = yaml("pipeline: [prepare, train]\nprepare: {}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigFile.load(missing, List.of()).pipeline());
        assertTrue(e.getMessage().contains("'train'"), e.getMessage());
    }

    @Test
    void effectiveConfigPrintsAsSnakeCaseYaml() {
        String yaml = ConfigFile.toYaml("demo", DemoConfig.defaults());
        assertTrue(yaml.contains("batch_size: 16"), yaml);
        assertTrue(yaml.contains("output: out"), yaml);
    }

    record AliasConfig(String output, String input, List<String> stop, int batchSize) implements StageConfig {
        static AliasConfig defaults() {
            return new AliasConfig("o", "i", List.of(), 1);
        }

        @Override
        public void validate(Checks checks) {}
    }

    @Test
    void yamlAliasesResolveToTheAnchoredValue() throws Exception {
        Path file = yaml("demo:\n  output: &out x\n  input: *out\n  stop: [&p '\\n', *p]\n  batch_size: &b 3\n"
                + "other: &common {batch_size: 7, output: y}\n"
                + "demo/merged:\n  <<: *common\n  input: *out\n");
        ConfigFile config = ConfigFile.load(file, List.of());
        AliasConfig c = config.section("demo", AliasConfig.class, AliasConfig.defaults());
        assertEquals("x", c.output());
        assertEquals("x", c.input(), "an alias is the anchored value, not the anchor's name");
        assertEquals(List.of("\\n", "\\n"), c.stop());
        assertEquals(3, c.batchSize(), "an aliased number stays a number");
        AliasConfig merged = config.section("demo/merged", AliasConfig.class, AliasConfig.defaults());
        assertEquals(7, merged.batchSize(), "a merge key (<<) copies the anchored mapping's keys");
        assertEquals("y", merged.output());
        assertEquals("x", merged.input());
    }

    @Test
    void aliasExpansionIsBoundedAgainstBillionLaughs() throws Exception {
        StringBuilder text = new StringBuilder("a0: &a0 [lol, lol]\n");
        for (int i = 1; i < 24; i++) {  // 46 aliases: under SnakeYAML's own limit of 50, 2^24 values
            text.append("a").append(i).append(": &a").append(i).append(" [*a").append(i - 1).append(", *a").append(i - 1).append("]\n");
        }
        Path file = yaml(text.toString());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigFile.load(file, List.of()));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("alias"), e.getMessage());
    }

    @Test
    void aConfigThatIsNotUtf8NamesTheFileLineAndByte() throws Exception {
        Path file = dir.resolve("latin1.yaml");
        Files.write(file, "demo:\n  output: caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigFile.load(file, List.of()));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("not UTF-8") && e.getMessage().contains("line 2")
                && e.getMessage().contains("byte offset 19"), e.getMessage());
    }
}
