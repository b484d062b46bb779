package dev.chatforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chatforge.config.ConfigFile;
import dev.chatforge.data.PrepareConfig;
import dev.chatforge.data.PrepareStage;
import dev.chatforge.data.Record;
import dev.chatforge.data.Turn;
import dev.chatforge.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** configs/smoke.yaml, the file new users copy: it shows the seed's cleaning and every section is a stage. */
class SmokeConfigTest {
    static final Path SMOKE = Path.of("configs/smoke.yaml");

    @TempDir
    Path dir;

    @Test
    void everySectionIsAStageAndBothPrepareSectionsLowercaseTheirCorpus() throws Exception {
        ConfigFile file = ConfigFile.load(SMOKE, List.of()).checkSections(Stages.names());
        for (String section : List.of("prepare", "prepare/support")) {
            PrepareConfig config = file.section(section, PrepareConfig.class, PrepareConfig.defaults());
            assertTrue(config.cleaning().lowercase(), section + " lowercases, as the seed's cleaning does");
        }
        assertTrue(Files.readString(SMOKE).contains("pretrained cased vocabulary"), "says when to turn it off");

        // On its own corpus: the prepared support dialogues have no capital letters left.
        PrepareConfig support = file.section("prepare/support", PrepareConfig.class, PrepareConfig.defaults())
                .withOutput(dir.resolve("support"));
        PrepareStage.Result result = PrepareStage.run(support, false);
        assertTrue(result.train() > 0);
        long capitals = 0;
        for (String split : List.of("train.jsonl", "val.jsonl")) {
            for (String line : Files.readAllLines(dir.resolve("support").resolve(split))) {
                Record r = Json.COMPACT.readValue(line, Record.class);
                for (Turn t : r.messages()) {
                    capitals += t.content().equals(t.content().toLowerCase(Locale.ROOT)) ? 0 : 1;
                }
            }
        }
        assertEquals(0, capitals);
    }
}
